;;; aliasd.el --- One address per correspondent, chosen by aliasd -*- lexical-binding: t; -*-

;; Copyright (C) 2026 the aliasd developers

;; Author: the aliasd developers <dev@aliasd.invalid>
;; Maintainer: the aliasd developers <dev@aliasd.invalid>
;; URL: https://aliasd.invalid/
;; Version: 0.2
;; Package-Requires: ((emacs "27.1"))
;; Keywords: mail

;; This file is not part of GNU Emacs.

;;; Commentary:

;; aliasd gives every correspondent their own address at your domain.
;; This package makes Emacs send mail from the right one.  Just before a
;; message leaves (message-mode, which Gnus, mu4e and notmuch use, and
;; mail-mode, which Rmail uses), it hands the message's header block, as
;; it will be sent, to "aliasctl rewrite", which rewrites it exactly as
;; the aliasd milter and alias-sendmail would (the same code decides):
;;
;;  - From and Reply-To become "Your Name <the@address>" for the
;;    address chosen for the recipients (To, Cc, Bcc, groups too);
;;  - your real address, wherever it is in another address field (Cc,
;;    Disposition-Notification-To, Mail-Followup-To, ...), becomes the
;;    chosen address; a Sender naming you and an Autocrypt field for
;;    your address are removed;
;;  - the envelope sender handed to sendmail or SMTP becomes aliasd.conf's
;;    bounce_address, or the chosen address.
;;
;; The package then puts the rewritten block back into the message
;; (fields aliasctl left alone stay exactly as you wrote them) and sets
;; the envelope sender.  Whose mail is yours, the display name, the
;; bounce address: aliasd.conf says (owner, domain, full_name,
;; bounce_address).  When aliasctl fails (the store is busy or
;; unreadable, the configuration is wrong), or its leak guard finds your
;; real address still in the message (no address was chosen, or a field
;; it cannot rewrite names you), the send is stopped with aliasctl's
;; one-line message: mail never leaves from your real address.
;;
;; Setup:
;;
;;   (add-to-list 'load-path "/path/to/aliasd/contrib/emacs")
;;   (require 'aliasd)
;;   (aliasd-mode 1)
;;
;; Commands: `aliasd-new' (a new address for a correspondent, copied to
;; the kill ring), `aliasd-retire', `aliasd-list', `aliasd-leaks' (which
;; addresses reached senders they were not given to) and `aliasd-replace'
;; (retire a leaked address and give its correspondent a new one with
;; the same rules, copied to the kill ring).

;;; Code:

(require 'subr-x)
(require 'seq)
(require 'mail-parse)
(require 'mail-utils)
(require 'rfc2047)
(require 'tabulated-list)
(require 'json)
(require 'parse-time)

(defvar mail-header-separator)
(defvar mail-envelope-from)
(defvar mail-specify-envelope-from)
(defvar message-sendmail-envelope-from)
(defvar message-send-mail-hook)
(defvar message-header-hook)
(defvar message-ignored-mail-headers)
(defvar message-this-is-news)
(defvar mail-send-hook)
(declare-function message-make-sender "message" ())
(declare-function message-sendmail-envelope-from "message" ())

;;;; Customization

(defgroup aliasd nil
  "Send mail from a per-correspondent address managed by aliasd."
  :group 'mail
  :prefix "aliasd-")

(defcustom aliasd-program "aliasctl"
  "The aliasctl program: a name looked up in variable `exec-path', or a file."
  :type 'string)

(defcustom aliasd-config nil
  "The aliasd configuration file, passed to aliasctl as -c FILE.
When nil, aliasctl finds it itself: $ALIASD_CONF, else
~/.config/aliasd/aliasd.conf, else /etc/aliasd.conf."
  :type '(choice (const :tag "aliasctl's default" nil) file))

;; Before 0.2 the package decided these itself; aliasctl now decides
;; from aliasd.conf, so that Emacs cannot disagree with the milter.
(defvar aliasd-bounce-address nil
  "No longer used: set bounce_address in aliasd.conf.")
(make-obsolete-variable 'aliasd-bounce-address
                        "set bounce_address in aliasd.conf." "0.2")
(defvar aliasd-full-name nil
  "No longer used: set full_name in aliasd.conf.")
(make-obsolete-variable 'aliasd-full-name
                        "set full_name in aliasd.conf." "0.2")
(defvar aliasd-own-addresses nil
  "No longer used: aliasd.conf's owner and domain say whose mail is yours.")
(make-obsolete-variable 'aliasd-own-addresses
                        "owner and domain in aliasd.conf say whose mail is yours."
                        "0.2")

;;;; Running aliasctl

(defun aliasd--run-input (input &rest args)
  "Run aliasctl with ARGS and INPUT on its stdin (nil: none).
Return (STATUS STDOUT STDERR).  Global options (-c) are added in
front.  STDOUT and STDERR are strings without trailing white space."
  (let ((err-file (make-temp-file "aliasd-err"))
        (default-directory "/")
        (coding-system-for-read 'utf-8-unix)
        (coding-system-for-write 'utf-8-unix)
        (args (append (and aliasd-config
                           (list "-c" (expand-file-name aliasd-config)))
                      args)))
    (unwind-protect
        (with-temp-buffer
          (let ((status
                 (condition-case err
                     (if input
                         (apply #'call-process-region input nil
                                aliasd-program nil (list t err-file) nil
                                args)
                       (apply #'call-process aliasd-program nil
                              (list t err-file) nil args))
                   (file-error
                    (user-error "Cannot run %s: %s" aliasd-program
                                (error-message-string err))))))
            (list status
                  (string-trim-right (buffer-string))
                  (with-temp-buffer
                    (insert-file-contents err-file)
                    (string-trim (buffer-string))))))
      (delete-file err-file))))

(defun aliasd--run (&rest args)
  "Run aliasctl with ARGS; return (STATUS STDOUT STDERR)."
  (apply #'aliasd--run-input nil args))

(defun aliasd--call-input (input &rest args)
  "Run aliasctl with ARGS and INPUT; return its output, or signal `user-error'.
The error message is aliasctl's own one-line message."
  (pcase-let ((`(,status ,out ,err) (apply #'aliasd--run-input input args)))
    (unless (eq status 0)
      (user-error "%s"
                  (cond ((not (string-empty-p err))
                         (car (split-string err "\n")))
                        ((stringp status)
                         (format "%s: %s" aliasd-program status))
                        (t (format "%s exited with status %s"
                                   aliasd-program status)))))
    out))

(defun aliasd--call (&rest args)
  "Run aliasctl with ARGS; return its output, or signal `user-error'."
  (apply #'aliasd--call-input nil args))

(defun aliasd--json-read (string)
  "Parse the JSON STRING into lists and alists, null and false as nil."
  (if (and (fboundp 'json-parse-string)
           (or (not (fboundp 'json-available-p)) (json-available-p)))
      (json-parse-string string :object-type 'alist :array-type 'list
                         :null-object nil :false-object nil)
    (let ((json-object-type 'alist) (json-array-type 'list)
          (json-null nil) (json-false nil))
      (json-read-from-string string))))

(defun aliasd--addresses (&optional all)
  "The addresses aliasctl lists: active ones, or ALL of them.
Each is an alist with keys address, correspondent, state, ..."
  (aliasd--json-read
   (aliasd--call "--json" "list" (if all "--all" "--active"))))

;;;; Headers

(defun aliasd--header-end ()
  "Where the header block of the current message ends."
  (save-excursion
    (goto-char (point-min))
    (cond ((re-search-forward
            (concat "^" (regexp-quote mail-header-separator) "$") nil t)
           (match-beginning 0))
          ((re-search-forward "^$" nil t) (match-beginning 0))
          (t (point-max)))))

(defmacro aliasd--with-headers (&rest body)
  "Run BODY with the buffer narrowed to the message headers."
  (declare (indent 0) (debug t))
  `(save-excursion
     (save-restriction
       (widen)
       (narrow-to-region (point-min) (aliasd--header-end))
       (goto-char (point-min))
       (let ((case-fold-search t))
         ,@body))))

(defun aliasd--field-regexp (name)
  "A regexp matching the start of a NAME field."
  (concat "^" (regexp-quote name) "[ \t]*:"))

(defun aliasd--field-end ()
  "From the start of a field, move past its continuation lines."
  (forward-line 1)
  (while (and (not (eobp)) (looking-at "[ \t]"))
    (forward-line 1))
  (point))

(defun aliasd--set-field (name value)
  "Make VALUE the one NAME field: the first is replaced, others go.
With VALUE nil, every NAME field is removed.  In narrowed headers."
  (goto-char (point-min))
  (let ((done (null value)))
    (while (re-search-forward (aliasd--field-regexp name) nil t)
      (let ((start (match-beginning 0)))
        (delete-region start (progn (goto-char start) (aliasd--field-end)))
        (unless done
          (insert name ": " value "\n")
          (setq done t))))
    (unless done
      (goto-char (point-max))
      (insert name ": " value "\n"))))

(defun aliasd--field (name)
  "All NAME fields of the narrowed headers, joined with commas, or nil."
  (let ((value (mail-fetch-field name nil t)))
    (and value (not (string-blank-p value)) value)))

(defun aliasd--mailbox (name address)
  "Format NAME and ADDRESS as a mailbox, quoting NAME when needed."
  (if (or (null name) (string-blank-p name))
      address
    (format "%s <%s>"
            (if (string-match-p "[][()<>@,;:\\\".]" name)
                (concat "\"" (replace-regexp-in-string
                              "[\"\\]" "\\\\\\&" name)
                        "\"")
              name)
            address)))

;;;; The header block as it leaves, and back

(defun aliasd--fields ()
  "The fields of the narrowed headers, in order, as strings.
Each holds its continuation lines and its final newline."
  (goto-char (point-min))
  (let (fields)
    (while (not (eobp))
      (let ((start (point)))
        (aliasd--field-end)
        (push (buffer-substring start (point)) fields)))
    (nreverse fields)))

(defun aliasd--split (block)
  "The fields of BLOCK, a header block as aliasctl prints it."
  (let ((pos 0) fields)
    (while (< pos (length block))
      (let ((end (if (string-match "\n[^ \t]" block pos)
                     (1+ (match-beginning 0))
                   (length block))))
        (push (substring block pos end) fields)
        (setq pos end)))
    (nreverse fields)))

(defun aliasd--local-p (field)
  "Return non-nil if FIELD is for Emacs alone (Fcc, Gcc and the like).
Those are not aliasctl's business: they are kept as they are."
  (let ((case-fold-search t))
    (string-match-p (if (and (derived-mode-p 'message-mode)
                             (boundp 'message-ignored-mail-headers)
                             (stringp message-ignored-mail-headers))
                        message-ignored-mail-headers
                      "^\\(?:[FG]cc\\):")
                    field)))

(defun aliasd--wire (field)
  "FIELD as it will be sent: RFC 2047-encoded.
This is the encoding `message-mode' and `mail-mode' apply when they send,
so that aliasctl judges and rewrites what will really leave."
  (with-temp-buffer
    (insert field)
    (rfc2047-encode-message-header)
    (buffer-string)))

(defconst aliasd--encoded-run
  (let ((word "=\\?[^?[:space:]]+\\?[BbQq]\\?[^?[:space:]]*\\?="))
    (concat word "\\(?:[ \t\n]+" word "\\)*"))
  "A run of RFC 2047 encoded words, as one phrase.")

(defun aliasd--quote-state (text state)
  "STATE, a cons (IN-QUOTES . COMMENT-DEPTH), after reading TEXT."
  (let ((quoted (car state)) (depth (cdr state)) (i 0))
    (while (< i (length text))
      (let ((c (aref text i)))
        (cond ((eq c ?\\) (setq i (1+ i)))
              ((and (eq c ?\") (zerop depth)) (setq quoted (not quoted)))
              ((and (eq c ?\() (not quoted)) (setq depth (1+ depth)))
              ((and (eq c ?\)) (not quoted) (> depth 0))
               (setq depth (1- depth)))))
      (setq i (1+ i)))
    (cons quoted depth)))

(defun aliasd--decode (field)
  "FIELD, as aliasctl wrote it, with its encoded words decoded.
The buffer must hold readable text, which `message-mode' and `mail-mode'
encode again on the way out.  A decoded phrase holding a special
character (a comma, say) is quoted, so that the field still means
the same mailboxes then."
  (let ((pos 0) (state (cons nil 0)) parts)
    (while (string-match aliasd--encoded-run field pos)
      (let* ((start (match-beginning 0))
             (end (match-end 0))
             (text (rfc2047-decode-string (match-string 0 field))))
        (setq state (aliasd--quote-state (substring field pos start) state))
        (push (substring field pos start) parts)
        (push (cond ((car state)
                     (replace-regexp-in-string "[\"\\]" "\\\\\\&" text))
                    ((> (cdr state) 0)
                     (replace-regexp-in-string "[()\\]" "\\\\\\&" text))
                    ((string-match-p "[][()<>@,;:\\\".]" text)
                     (concat "\"" (replace-regexp-in-string
                                   "[\"\\]" "\\\\\\&" text)
                             "\""))
                    (t text))
              parts)
        (setq pos end)))
    (push (substring field pos) parts)
    (apply #'concat (nreverse parts))))

(defun aliasd--merge (fields wire block)
  "The header block to put back in place of FIELDS.
WIRE holds FIELDS as sent; BLOCK is aliasctl's answer.  A field of
BLOCK that aliasctl left alone (the same bytes as one of WIRE) is
put back as the user wrote it; a changed or new one, decoded."
  (let ((tail (seq-mapn #'cons wire fields)) parts)
    (dolist (field (aliasd--split block))
      (let ((hit tail))
        (while (and hit (not (string= (caar hit) field)))
          (setq hit (cdr hit)))
        (if (null hit)
            (push (aliasd--decode field) parts)
          (push (cdar hit) parts)
          (setq tail (cdr hit)))))
    (apply #'concat (nreverse parts))))

;;;; The envelope

(defconst aliasd--envelope-variables
  '(message-sendmail-envelope-from mail-specify-envelope-from
    mail-envelope-from)
  "Variables that name the envelope sender for the various send paths.")

(defvar-local aliasd--saved nil
  "What `aliasd--set-envelope' changed here: (VARIABLE LOCAL-P . VALUE).")

(defvar aliasd--envelope nil
  "The envelope sender for the message `message-mode' is sending, or nil.
`aliasd-rewrite-headers' sets it in `message-header-hook', and
`aliasd--send-buffer-envelope' applies it in `message-send-mail-hook':
`message-mode' sends from a buffer it made before the first of these,
so a buffer-local value set then would not reach it.")

(defun aliasd--restore ()
  "Undo what an earlier send attempt in this buffer set up."
  (dolist (saved aliasd--saved)
    (pcase-let ((`(,var ,localp . ,value) saved))
      (if localp
          (set (make-local-variable var) value)
        (kill-local-variable var))))
  (setq aliasd--saved nil))

(defun aliasd--set-envelope (address)
  "Make ADDRESS the envelope sender of the `mail-mode' message here.
`sendmail-send-it' and `smtpmail-send-it' take it from
`mail-envelope-from' in the buffer being sent.  `smtpmail-mail-address'
is not made buffer-local: `smtpmail-send-it' let-binds it and reads
it from another buffer."
  (dolist (var aliasd--envelope-variables)
    (push (cons var (cons (local-variable-p var)
                          (and (boundp var) (symbol-value var))))
          aliasd--saved))
  (setq-local message-sendmail-envelope-from address)
  (setq-local mail-specify-envelope-from t)
  (setq-local mail-envelope-from address))

(defun aliasd--send-buffer-envelope ()
  "In message-mode's sending buffer, set the envelope sender aliasctl chose.
For `message-send-mail-hook' (`aliasd-mode' adds it): covers
`message-send-mail-with-sendmail' (`message-sendmail-envelope-from')
and `sendmail-send-it' and `smtpmail-send-it' (`mail-envelope-from')."
  (when aliasd--envelope
    (setq-local message-sendmail-envelope-from aliasd--envelope)
    (setq-local mail-specify-envelope-from t)
    (setq-local mail-envelope-from aliasd--envelope)))

(defun aliasd--client-envelope ()
  "The envelope sender Emacs would use for the message here, or nil."
  (let ((from (if (and (derived-mode-p 'message-mode)
                       (fboundp 'message-sendmail-envelope-from))
                  (message-sendmail-envelope-from)
                user-mail-address)))
    (and (stringp from) (not (string-blank-p from)) from)))

(defun aliasd--drop-login-sender ()
  "Remove a Sender that `message-mode' made of the login and host name.
It names the real user and machine, which the alias is there to hide.
In narrowed headers."
  (when (fboundp 'message-make-sender)
    (let* ((sender (aliasd--field "Sender"))
           (address (car-safe (car (and sender
                                        (mail-header-parse-addresses
                                         sender))))))
      (when (and (stringp address)
                 (string= (downcase address)
                          (downcase (message-make-sender))))
        (aliasd--set-field "Sender" nil)))))

;;;; Rewriting on send

(defun aliasd-address-for (recipients)
  "The address mail to RECIPIENTS should come from, or nil.
Asks \"aliasctl for\"; signals `user-error' when it fails."
  (let ((out (apply #'aliasd--call "for" "--create" "--" recipients)))
    (and (not (string-empty-p out)) out)))

(defun aliasd--ask (wire envelope)
  "Ask aliasctl to rewrite the fields WIRE, sent from ENVELOPE (or nil).
Returns its answer as an alist; signals `user-error' when it fails
or its leak guard refuses the message."
  (condition-case err
      (aliasd--json-read
       (apply #'aliasd--call-input (apply #'concat wire)
              "--json" "rewrite" "--create"
              (and envelope (list "--sender" envelope))))
    (user-error (user-error "Not sent: %s" (error-message-string err)))
    ((json-error json-parse-error)
     (user-error "Not sent: %s gave no answer" aliasd-program))))

;;;###autoload
(defun aliasd-rewrite-headers ()
  "Rewrite the message here as aliasd would; set its envelope.
For `message-header-hook' and `mail-send-hook' (`aliasd-mode' adds
it).  Hands the header block, RFC 2047-encoded as it will be sent,
to \"aliasctl --json rewrite --create\", which decides everything:
whose mail it is, the address, the fields that change, the envelope
sender, whether your real address would still leave.  In your mail,
the block it returns replaces the one here (fields it left alone stay
as you wrote them) and its envelope sender is used.  When aliasctl
fails or refuses the message, signals `user-error', which stops the
send."
  (unless (bound-and-true-p message-this-is-news)
    (aliasd--restore)
    (setq aliasd--envelope nil)
    (aliasd--with-headers
      (let* ((fields (aliasd--fields))
             (kept (seq-filter #'aliasd--local-p fields))
             (sent (seq-remove #'aliasd--local-p fields))
             (envelope (aliasd--client-envelope)))
        ;; mail-mode adds a From when it sends; aliasctl must see it.
        (unless (seq-some (lambda (f) (string-match-p "\\`From[ \t]*:" f))
                          sent)
          (when (stringp user-mail-address)
            (push (concat "From: " (aliasd--mailbox user-full-name
                                                    user-mail-address)
                          "\n")
                  sent)))
        (let* ((wire (mapcar #'aliasd--wire sent))
               (answer (aliasd--ask wire envelope)))
          (when (alist-get 'owner answer)
            (let ((block (concat (aliasd--merge sent wire
                                                (or (alist-get 'headers answer)
                                                    ""))
                                 (apply #'concat kept))))
              (goto-char (point-min))
              (insert block)
              (delete-region (point) (point-max)))
            (aliasd--drop-login-sender)
            ;; The plan's envelope sender, else the one given, which
            ;; it found harmless: smtpmail might otherwise pick another.
            (let ((sender (or (alist-get 'sender answer) envelope)))
              (when sender
                (if (derived-mode-p 'message-mode)
                    (setq aliasd--envelope sender)
                  (aliasd--set-envelope sender))))))))))

;;;###autoload
(define-minor-mode aliasd-mode
  "Send mail from the address aliasd chose for its recipients.
When on, `aliasd-rewrite-headers' runs as each message is sent from
`message-mode' (Gnus, mu4e, notmuch) or `mail-mode' (Rmail), after
the other functions of `message-header-hook' and `mail-send-hook'."
  :global t
  :group 'aliasd
  (if aliasd-mode
      (progn
        (add-hook 'message-header-hook #'aliasd-rewrite-headers 90)
        (add-hook 'message-send-mail-hook #'aliasd--send-buffer-envelope)
        (add-hook 'mail-send-hook #'aliasd-rewrite-headers 90))
    (remove-hook 'message-header-hook #'aliasd-rewrite-headers)
    (remove-hook 'message-send-mail-hook #'aliasd--send-buffer-envelope)
    (remove-hook 'mail-send-hook #'aliasd-rewrite-headers)))

;;;; Commands

(defun aliasd--default-correspondent ()
  "The first To address of the message being written, or nil."
  (or (and (derived-mode-p 'message-mode 'mail-mode)
           (aliasd--with-headers
             (let ((to (aliasd--field "To")))
               (car-safe (car (and to (mail-header-parse-addresses to)))))))
      (thing-at-point 'email t)))

(defun aliasd--prompt (prompt default)
  "PROMPT, showing DEFAULT when there is one."
  (if default
      (format "%s (default %s): " prompt default)
    (format "%s: " prompt)))

;;;###autoload
(defun aliasd-new (correspondent &optional name)
  "Create a new address for CORRESPONDENT and copy it to the kill ring.
CORRESPONDENT is an address, @domain for a whole domain, or empty
for none.  With a prefix argument, also ask for NAME, the local
part of a named address (\"ebay\" gives ebay@your.domain).
Interactively, the correspondent defaults to the To of the message
being written.  Returns the new address."
  (interactive
   (let* ((name (and current-prefix-arg
                     (read-string "Name (local part): ")))
          (default (aliasd--default-correspondent)))
     (list (read-string
            (aliasd--prompt "Correspondent (address, @domain, or empty)"
                            default)
            nil nil default)
           name)))
  (let* ((args (append (and name (not (string-empty-p name))
                            (list "--name" name))
                       (and correspondent (not (string-empty-p correspondent))
                            (list "--" correspondent))))
         (address (apply #'aliasd--call "new" args)))
    (kill-new address)
    (message "New address %s (copied to the kill ring)" address)
    address))

(defun aliasd--refresh-tables ()
  "Refresh the tables of this package that are open."
  (dolist (name '("*aliasd*" "*aliasd leaks*"))
    (when (get-buffer name)
      (with-current-buffer name (revert-buffer)))))

(defun aliasd--read-address (prompt)
  "Read one of the active addresses with completion, with PROMPT."
  (let* ((entries (aliasd--addresses))
         (table (mapcar (lambda (e)
                          (cons (alist-get 'address e)
                                (alist-get 'correspondent e)))
                        entries))
         (completion-extra-properties
          (list :annotation-function
                (lambda (address)
                  (let ((c (cdr (assoc address table))))
                    (if c (concat "  " c) ""))))))
    (completing-read prompt table nil nil)))

;;;###autoload
(defun aliasd-retire (address &optional reason)
  "Retire ADDRESS: mail to it is refused from now on, with REASON.
ADDRESS may be a local part or a unique prefix of one.  REASON nil
or empty gives aliasctl's default."
  (interactive
   (let ((address (aliasd--read-address "Retire address: ")))
     (list address
           (read-string (format "Reason for retiring %s (empty: default): "
                                address)))))
  (let ((out (apply #'aliasd--call "retire" address
                    (and reason (not (string-empty-p reason))
                         (list "--reason" reason)))))
    (message "%s" (if (string-empty-p out) (format "Retired %s" address) out))
    (aliasd--refresh-tables)
    out))

;;;###autoload
(defun aliasd-replace (address &optional reason)
  "Replace ADDRESS, which has leaked: retire it with REASON and make a new one.
The new address is for the same correspondent, with the same rules
and allow list.  It is copied to the kill ring and returned, and
the echo area shows it.  ADDRESS may be a local part or a unique
prefix of one.  REASON nil or empty gives aliasctl's default."
  (interactive
   (let ((address (aliasd--read-address "Replace address: ")))
     (list address
           (read-string (format "Reason for retiring %s (empty: default): "
                                address)))))
  (let ((new (apply #'aliasd--call "replace"
                    (append (and reason (not (string-empty-p reason))
                                 (list "--reason" reason))
                            (list "--" address)))))
    (when (string-empty-p new)
      (user-error "No new address came from aliasctl replace"))
    (kill-new new)
    (message "%s replaced by %s (copied to the kill ring)" address new)
    (aliasd--refresh-tables)
    new))

;;;; The list

(defun aliasd--list-entries ()
  "Entries for `tabulated-list-entries' from aliasctl."
  (mapcar
   (lambda (e)
     (let ((str (lambda (key) (let ((v (alist-get key e)))
                                (cond ((null v) "-")
                                      ((stringp v) v)
                                      (t (format "%s" v))))))
           (day (lambda (key) (let ((v (alist-get key e)))
                                (if (stringp v)
                                    (substring v 0 (min 10 (length v)))
                                  "-")))))
       (list (alist-get 'address e)
             (vector (funcall str 'address)
                     (if (alist-get 'default e) "*" "")
                     (funcall str 'correspondent)
                     (funcall str 'state)
                     (funcall day 'created)
                     (funcall day 'last_mail)
                     (funcall str 'messages)
                     (let ((note (alist-get 'note e))
                           (reason (alist-get 'reason e)))
                       (or reason note ""))))))
   (aliasd--addresses t)))

(defun aliasd--sort-count (a b)
  "Sort entries A and B by message count."
  (< (string-to-number (aref (cadr a) 6))
     (string-to-number (aref (cadr b) 6))))

(defvar aliasd-list-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map "w" #'aliasd-list-copy)
    (define-key map "+" #'aliasd-new)
    (define-key map "R" #'aliasd-list-retire)
    map)
  "Keymap for `aliasd-list-mode'.")

(define-derived-mode aliasd-list-mode tabulated-list-mode "aliasd"
  "A table of the addresses aliasd manages.
`*' marks the default address.  Keys: copy the address at point,
retire it, make a new address, refresh (\\[revert-buffer]).

\\{aliasd-list-mode-map}"
  (setq tabulated-list-format
        [("Address" 30 t) ("D" 1 t) ("Correspondent" 26 t) ("State" 8 t)
         ("Created" 10 t) ("Last mail" 10 t)
         ("Count" 6 aliasd--sort-count :right-align t)
         ("Reason/note" 0 t)])
  (setq tabulated-list-sort-key (cons "Address" nil))
  (add-hook 'tabulated-list-revert-hook
            (lambda () (setq tabulated-list-entries (aliasd--list-entries)))
            nil t)
  (tabulated-list-init-header))

(defun aliasd-list-copy ()
  "Copy the address at point to the kill ring."
  (interactive)
  (let ((address (tabulated-list-get-id)))
    (unless address (user-error "No address here"))
    (kill-new address)
    (message "Copied %s" address)))

(defun aliasd-list-retire (reason)
  "Retire the address at point, with REASON."
  (interactive
   (list (read-string (format "Reason for retiring %s (empty: default): "
                              (or (tabulated-list-get-id)
                                  (user-error "No address here"))))))
  (aliasd-retire (tabulated-list-get-id) reason))

;;;###autoload
(defun aliasd-list ()
  "Show every address aliasd manages, in a table."
  (interactive)
  (let ((entries (aliasd--list-entries)))
    (with-current-buffer (get-buffer-create "*aliasd*")
      (aliasd-list-mode)
      (setq tabulated-list-entries entries)
      (tabulated-list-print)
      (pop-to-buffer (current-buffer)))))

;;;; Leak sightings

(defcustom aliasd-leaks-since nil
  "How far back `aliasd-leaks' looks: a span such as \"30d\", or nil for all."
  :type '(choice (const :tag "Every sighting" nil) string))

(defun aliasd--local-time (iso)
  "The UTC time ISO (\"2026-11-22T10:00:00Z\") as local \"2026-11-22 11:00\"."
  (if (stringp iso)
      (condition-case nil
          (format-time-string "%Y-%m-%d %H:%M"
                              (parse-iso8601-time-string iso))
        (error iso))
    "-"))

(defun aliasd--leak-entries (&optional since)
  "Entries for `tabulated-list-entries' from aliasctl leaks.
SINCE limits them to a span such as \"30d\".  Each entry's id is
\(ADDRESS . DOMAIN), as one line is one address and one domain."
  (mapcar
   (lambda (e)
     (let ((str (lambda (key) (let ((v (alist-get key e)))
                                (cond ((null v) "-")
                                      ((stringp v) v)
                                      (t (format "%s" v)))))))
       (list (cons (alist-get 'address e) (alist-get 'domain e))
             (vector (funcall str 'address)
                     (funcall str 'correspondent)
                     (funcall str 'domain)
                     (aliasd--local-time (alist-get 'first e))
                     (aliasd--local-time (alist-get 'last e))
                     (funcall str 'messages)
                     (funcall str 'state)))))
   (aliasd--json-read
    (apply #'aliasd--call "--json" "leaks"
           (and since (list "--since" since))))))

(defun aliasd--sort-messages (a b)
  "Sort leak entries A and B by message count."
  (< (string-to-number (aref (cadr a) 5))
     (string-to-number (aref (cadr b) 5))))

(defvar aliasd-leaks-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map "w" #'aliasd-leaks-copy)
    (define-key map "r" #'aliasd-leaks-replace)
    map)
  "Keymap for `aliasd-leaks-mode'.")

(defvar-local aliasd--leaks-since nil
  "The span the leaks table in this buffer shows, or nil for all.")

(define-derived-mode aliasd-leaks-mode tabulated-list-mode "aliasd-leaks"
  "A table of the leak sightings of aliasd, the most recent first.
A sighting is mail accepted for an address from an organisation it
was not given to.  Keys: copy the address at point, replace it
\(retire it and give its correspondent a new one), refresh
\(\\[revert-buffer]).

\\{aliasd-leaks-mode-map}"
  (setq tabulated-list-format
        [("Address" 30 t) ("Correspondent" 24 t) ("Domain" 22 t)
         ("First seen" 16 t) ("Last seen" 16 t)
         ("Msgs" 5 aliasd--sort-messages :right-align t)
         ("State" 0 t)])
  ;; aliasctl's order, newest first, until the user sorts.
  (setq tabulated-list-sort-key nil)
  (add-hook 'tabulated-list-revert-hook
            (lambda ()
              (setq tabulated-list-entries
                    (aliasd--leak-entries aliasd--leaks-since)))
            nil t)
  (tabulated-list-init-header))

(defun aliasd-leaks-copy ()
  "Copy the address at point to the kill ring."
  (interactive)
  (let ((id (tabulated-list-get-id)))
    (unless id (user-error "No sighting here"))
    (kill-new (car id))
    (message "Copied %s" (car id))))

(defun aliasd-leaks-replace (reason)
  "Replace the address at point, which leaked, retiring it with REASON."
  (interactive
   (list (read-string (format "Reason for retiring %s (empty: default): "
                              (or (car (tabulated-list-get-id))
                                  (user-error "No sighting here"))))))
  (aliasd-replace (car (tabulated-list-get-id)) reason))

;;;###autoload
(defun aliasd-leaks (&optional since)
  "Show which addresses reached senders they were not given to.
One line per address and unexpected organisation, the most recent
first.  SINCE is a span such as \"30d\" (default
`aliasd-leaks-since'); with a prefix argument, ask for it."
  (interactive
   (list (and current-prefix-arg
              (let ((s (read-string "Since (a span such as 30d): ")))
                (if (string-empty-p s) nil s)))))
  (let* ((since (or since aliasd-leaks-since))
         (entries (aliasd--leak-entries since)))
    (with-current-buffer (get-buffer-create "*aliasd leaks*")
      (aliasd-leaks-mode)
      (setq aliasd--leaks-since since)
      (setq tabulated-list-entries entries)
      (tabulated-list-print)
      (when (null entries)
        (message "No leak sightings%s" (if since (concat " in " since) "")))
      (pop-to-buffer (current-buffer))
      entries)))

(provide 'aliasd)
;;; aliasd.el ends here
