;;; aliasd.el --- One address per correspondent, chosen by aliasd -*- lexical-binding: t; -*-

;; Version: 0.1
;; Package-Requires: ((emacs "27.1"))
;; Keywords: mail

;; This file is not part of GNU Emacs.

;;; Commentary:

;; aliasd gives every correspondent their own address at your domain.
;; This package makes Emacs send mail from the right one: just before a
;; message is sent (message-mode, which Gnus, mu4e and notmuch use, and
;; mail-mode, which Rmail uses) it asks "aliasctl for RECIPIENTS..." which
;; address the recipients get, and
;;
;;  - sets From to "Your Name <that@address>" (your display name is
;;    kept) and Reply-To likewise;
;;  - removes a Sender header naming your real address;
;;  - sets the envelope sender handed to sendmail or SMTP to
;;    `aliasd-bounce-address' when set, else to the chosen address, so
;;    that your real address never leaves in the envelope either.
;;
;; When aliasctl has no address for the recipients (no match and no
;; default), From is left alone.  When aliasctl fails (the store is busy
;; or unreadable, a recipient is malformed, the configuration is wrong)
;; the send is stopped with aliasctl's message: mail never leaves from
;; your real address because of an error.
;;
;; Only your own mail is rewritten: mail whose From is empty, is
;; `user-mail-address', or matches `aliasd-own-addresses'.
;;
;; Setup:
;;
;;   (add-to-list 'load-path "/path/to/aliasd/contrib/emacs")
;;   (require 'aliasd)
;;   (setq aliasd-own-addresses '("@example.com"))  ; your aliasd domain(s)
;;   ;; (setq aliasd-bounce-address "bounces@example.com") ; = bounce_address
;;   (aliasd-mode 1)
;;
;; Commands: `aliasd-new' (a new address for a correspondent, copied to
;; the kill ring), `aliasd-retire', `aliasd-list'.

;;; Code:

(require 'subr-x)
(require 'seq)
(require 'mail-parse)
(require 'mail-utils)
(require 'tabulated-list)
(require 'json)

(defvar mail-header-separator)
(defvar mail-envelope-from)
(defvar mail-specify-envelope-from)
(defvar message-sendmail-envelope-from)
(defvar message-send-hook)
(defvar message-send-mail-hook)
(defvar message-header-hook)
(defvar mail-send-hook)
(declare-function message-make-sender "message" ())

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
/etc/aliasd.conf for root and ~/.config/aliasd/aliasd.conf for
anybody else."
  :type '(choice (const :tag "aliasctl's default" nil) file))

(defcustom aliasd-bounce-address nil
  "Envelope sender for mail that aliasd rewrites.
Set this to the same value as bounce_address in aliasd.conf.  When
nil, the envelope sender becomes the address chosen for the
recipients (and is left alone when none is chosen).  When set, it
is used for all of your mail, even when no address was chosen, so
that your real address never appears in the envelope."
  :type '(choice (const :tag "The chosen address" nil) string))

(defcustom aliasd-full-name nil
  "Display name for a rewritten From that has none.
The display name already in From is kept; when From has none,
this is used, and when this is nil, variable `user-full-name'.  Set it to
the same value as full_name in aliasd.conf."
  :type '(choice (const :tag "user-full-name" nil) string))

(defcustom aliasd-own-addresses nil
  "Addresses whose mail is yours, besides `user-mail-address'.
Each element is an address (\"me@example.net\") or a whole
domain (\"@example.com\").  Only mail whose From is empty, is
`user-mail-address' or matches one of these is rewritten;
anybody else's passes untouched.  Add your aliasd domain(s) here
so that a message whose From already holds one of your aliases
still gets the right one."
  :type '(repeat string))

;;;; Running aliasctl

(defun aliasd--run (&rest args)
  "Run aliasctl with ARGS and return (STATUS STDOUT STDERR).
Global options (-c) are added in front.  STDOUT and STDERR are
strings without trailing white space."
  (let ((err-file (make-temp-file "aliasd-err"))
        (default-directory "/")
        (coding-system-for-read 'utf-8-unix)
        (coding-system-for-write 'utf-8-unix))
    (unwind-protect
        (with-temp-buffer
          (let ((status
                 (condition-case err
                     (apply #'call-process aliasd-program nil
                            (list t err-file) nil
                            (append (and aliasd-config
                                         (list "-c" (expand-file-name
                                                     aliasd-config)))
                                    args))
                   (file-error
                    (user-error "Cannot run %s: %s" aliasd-program
                                (error-message-string err))))))
            (list status
                  (string-trim-right (buffer-string))
                  (with-temp-buffer
                    (insert-file-contents err-file)
                    (string-trim (buffer-string))))))
      (delete-file err-file))))

(defun aliasd--call (&rest args)
  "Run aliasctl with ARGS; return its output, or signal `user-error'.
The error message is aliasctl's own one-line message."
  (pcase-let ((`(,status ,out ,err) (apply #'aliasd--run args)))
    (unless (eq status 0)
      (user-error "%s"
                  (cond ((not (string-empty-p err))
                         (car (split-string err "\n")))
                        ((stringp status)
                         (format "%s: %s" aliasd-program status))
                        (t (format "%s exited with status %s"
                                   aliasd-program status)))))
    out))

(defun aliasd--json-read (string)
  "Parse the JSON STRING into lists and alists, null as nil."
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

(defvar-local aliasd--written nil
  "Addresses this buffer's From got from aliasd on earlier attempts.
A send that failed after the rewrite leaves one there; it is still
the user's on the next attempt.")

(defun aliasd--own-p (address)
  "Whether mail from ADDRESS is the user's: nil or empty counts.
So do `user-mail-address', `aliasd-own-addresses' and addresses
aliasd already put in this buffer's From."
  (or (null address)
      (string-blank-p address)
      (let ((address (downcase address)))
        (seq-some
         (lambda (own)
           (and (stringp own)
                (not (string-empty-p own))
                (let ((own (downcase own)))
                  (if (string-prefix-p "@" own)
                      (string-suffix-p own address)
                    (string= own address)))))
         (cons user-mail-address
               (append aliasd-own-addresses aliasd--written))))))

(defun aliasd--recipients ()
  "The addresses in To, Cc and Bcc of the narrowed headers.
Addresses without a domain (local users) are left out."
  (let (addresses)
    (dolist (name '("To" "Cc" "Bcc"))
      (let ((value (aliasd--field name)))
        (when value
          (dolist (mailbox (mail-header-parse-addresses value))
            (let ((address (car-safe mailbox)))
              (when (and (stringp address) (string-match-p "@" address))
                (push address addresses)))))))
    (nreverse addresses)))

(defun aliasd--display-name (name address)
  "The display name for a rewritten From whose old one was NAME.
NAME is kept unless it is empty or shows the real ADDRESS."
  (cond ((and name (not (string-blank-p name))
              (not (and address
                        (string-match-p (regexp-quote address) name))))
         name)
        ((and aliasd-full-name (not (string-blank-p aliasd-full-name)))
         aliasd-full-name)
        ((and (stringp user-full-name) (not (string-blank-p user-full-name)))
         user-full-name)))

;;;; The envelope

(defconst aliasd--envelope-variables
  '(message-sendmail-envelope-from mail-specify-envelope-from
    mail-envelope-from)
  "Variables that name the envelope sender for the various send paths.")

(defvar-local aliasd--saved nil
  "What `aliasd--set-envelope' changed here: (VARIABLE LOCAL-P . VALUE).")

(defun aliasd--restore ()
  "Undo what an earlier send attempt in this buffer set up."
  (dolist (saved aliasd--saved)
    (pcase-let ((`(,var ,localp . ,value) saved))
      (if localp
          (set (make-local-variable var) value)
        (kill-local-variable var))))
  (setq aliasd--saved nil)
  (remove-hook 'message-send-mail-hook #'aliasd--send-buffer-envelope t)
  (remove-hook 'message-header-hook #'aliasd--drop-sender t))

(defun aliasd--set-envelope (address)
  "Make ADDRESS the envelope sender of the message in this buffer.
Covers `message-send-mail-with-sendmail' (through the buffer-local
`message-sendmail-envelope-from', which message copies into the
buffer it sends from) and `sendmail-send-it' and `smtpmail-send-it'
\(through `mail-envelope-from', which `mail-mode' sends with from this
buffer and `message-mode' gets from `aliasd--send-buffer-envelope').
`smtpmail-mail-address' is not made buffer-local: `smtpmail-send-it'
let-binds it and reads it from another buffer."
  (dolist (var aliasd--envelope-variables)
    (push (cons var (cons (local-variable-p var)
                          (and (boundp var) (symbol-value var))))
          aliasd--saved))
  (setq-local message-sendmail-envelope-from address)
  (setq-local mail-specify-envelope-from t)
  (setq-local mail-envelope-from address)
  ;; message-mode sends from a copy of this buffer that inherits the
  ;; local variables named message-*, not mail-*: this hook, being
  ;; local here, is inherited too and sets them there.
  (add-hook 'message-send-mail-hook #'aliasd--send-buffer-envelope nil t))

(defun aliasd--send-buffer-envelope ()
  "In message's sending buffer, make `mail-envelope-from' ours too.
For `message-send-mail-hook', locally in the buffers that
`aliasd--set-envelope' prepared and their copies:
`smtpmail-send-it' and `sendmail-send-it' take the envelope sender
from `mail-envelope-from', not `message-sendmail-envelope-from'."
  (when (and (local-variable-p 'message-sendmail-envelope-from)
             (stringp message-sendmail-envelope-from))
    (setq-local mail-specify-envelope-from t)
    (setq-local mail-envelope-from message-sendmail-envelope-from)))

(defun aliasd--drop-sender ()
  "Remove a Sender field that names the user, as message may add."
  (aliasd--with-headers
    (let* ((sender (aliasd--field "Sender"))
           (address (car-safe (car (and sender
                                        (mail-header-parse-addresses
                                         sender))))))
      (when (and address
                 (or (aliasd--own-p address)
                     (and (fboundp 'message-make-sender)
                          (string= (downcase address)
                                   (downcase (message-make-sender))))))
        (aliasd--set-field "Sender" nil)))))

;;;; Rewriting on send

(defun aliasd-address-for (recipients)
  "The address mail to RECIPIENTS should come from, or nil.
Asks \"aliasctl for\"; signals `user-error' when it fails."
  (let ((out (apply #'aliasd--call "for" "--create" "--" recipients)))
    (and (not (string-empty-p out)) out)))

;;;###autoload
(defun aliasd-rewrite-headers ()
  "Rewrite From, Reply-To and the envelope sender of the message here.
For `message-send-hook' and `mail-send-hook' (`aliasd-mode' adds
it).  Does nothing unless the mail is the user's (see
`aliasd-own-addresses').  When aliasctl fails, signals
`user-error', which stops the send."
  (aliasd--restore)
  (aliasd--with-headers
    (let* ((from (aliasd--field "From"))
           (mailboxes (and from (mail-header-parse-addresses from)))
           (own (seq-filter (lambda (mb) (aliasd--own-p (car-safe mb)))
                            mailboxes)))
      (when (or (null from) own)
        (let* ((recipients (aliasd--recipients))
               (chosen (condition-case err
                           (and recipients (aliasd-address-for recipients))
                         (user-error
                          (user-error "Not sent: %s"
                                      (error-message-string err)))))
               (envelope (or aliasd-bounce-address chosen)))
          (when chosen
            (push chosen aliasd--written)
            (let* ((first (car own))
                   (mine (aliasd--mailbox
                          (aliasd--display-name (cdr-safe first)
                                                (car-safe first))
                          chosen))
                   (others (seq-remove
                            (lambda (mb) (memq mb own)) mailboxes)))
              (aliasd--set-field
               "From" (mapconcat #'identity
                                 (cons mine
                                       (mapcar (lambda (mb)
                                                 (aliasd--mailbox
                                                  (cdr-safe mb) (car mb)))
                                               others))
                                 ", "))
              (aliasd--set-field "Reply-To" mine))
            (aliasd--drop-sender)
            (add-hook 'message-header-hook #'aliasd--drop-sender nil t))
          (when envelope
            (aliasd--set-envelope envelope)))))))

;;;###autoload
(define-minor-mode aliasd-mode
  "Send mail from the address aliasd chose for its recipients.
When on, `aliasd-rewrite-headers' runs before each message is
sent from `message-mode' (Gnus, mu4e, notmuch) or `mail-mode' (Rmail)."
  :global t
  :group 'aliasd
  (if aliasd-mode
      (progn
        (add-hook 'message-send-hook #'aliasd-rewrite-headers)
        (add-hook 'mail-send-hook #'aliasd-rewrite-headers))
    (remove-hook 'message-send-hook #'aliasd-rewrite-headers)
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
    (when (get-buffer "*aliasd*")
      (with-current-buffer "*aliasd*" (revert-buffer)))
    out))

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

(provide 'aliasd)
;;; aliasd.el ends here
