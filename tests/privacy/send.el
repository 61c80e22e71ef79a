;;; send.el --- send the privacy catalogue from message-mode -*- lexical-binding: t; -*-

;;; Commentary:

;; Used by tests/privacy/privacy.sh, not loaded by users:
;;
;;   emacs --batch -Q -L contrib/emacs -l tests/privacy/send.el \
;;         -f privacy-send-all CONF SENDMAIL BOUNCE FILE...
;;
;; Sets Emacs up the way contrib/emacs/README.md tells a user to
;; (user-mail-address the owner, aliasd-mode on, message-mode sending
;; through `sendmail'; everything else is aliasd.conf's, CONF), then for
;; each catalogue FILE composes a message-mode buffer holding that
;; message and sends it with `message-send'.  Prints one line per file
;; on stdout: "sent NAME" or "error NAME: TEXT".  BOUNCE is no longer
;; used (the package takes bounce_address from CONF through aliasctl);
;; it is still accepted so that privacy.sh's call stays the same.

;;; Code:

(require 'message)
(require 'sendmail)
(require 'rfc2047)
(require 'aliasd)

(defun privacy--compose (file)
  "A message-mode buffer holding catalogue FILE, ready to send."
  (let ((buf (generate-new-buffer (file-name-nondirectory file)))
        ;; What a user would have typed: the gb2312 message's name as
        ;; the characters it stands for; the others are UTF-8 or ASCII.
        (coding-system-for-read
         (if (string-match-p "gb2312" file) 'gb2312-unix 'utf-8-unix)))
    (with-current-buffer buf
      (insert-file-contents file)
      (goto-char (point-min))
      (unless (re-search-forward "^$" nil t)
        (error "No end of header in %s" file))
      ;; message-mode shows and edits headers decoded, and encodes them
      ;; again when it sends: decode the encoded words as a reply would.
      (rfc2047-decode-region (point-min) (point))
      (goto-char (point-min))
      (re-search-forward "^$")
      (insert mail-header-separator)
      (message-mode)
      (set-buffer-modified-p nil))
    buf))

(defun privacy-send-all ()
  "Send every file named on the command line; see the commentary."
  (let* ((conf (pop command-line-args-left))
         (sendmail (pop command-line-args-left))
         (_bounce (pop command-line-args-left))
         (aliasd-config conf)
         (user-mail-address "real.owner@owner-home.test")
         (user-full-name "Real Owner")
         (message-user-fqdn "client.test")
         (sendmail-program sendmail)
         (message-send-mail-function #'message-send-mail-with-sendmail)
         ;; Wait for sendmail and report its errors, as an interactive
         ;; session does.  nil would run it with BUFFER 0 (not waited
         ;; for), whose SIGCHLD Emacs 28 in batch mode mishandles
         ;; ("writing to child signal FD: Bad file descriptor"), at
         ;; times until its heap is corrupt and it aborts.
         (message-interactive t)
         (message-syntax-checks 'dont-check-for-anything-just-trust-me)
         (message-kill-buffer-on-exit t)
         (message-auto-save-directory nil)
         (message-signature nil)
         (message-setup-hook nil))
    (aliasd-mode 1)
    (while command-line-args-left
      (let* ((file (pop command-line-args-left))
             (name (file-name-base file))
             (buf (privacy--compose file)))
        (condition-case err
            (with-current-buffer buf
              (message-send)
              (princ (format "sent %s\n" name)))
          (error
           (princ (format "error %s: %s\n" name
                          (replace-regexp-in-string
                           "\n" " " (error-message-string err))))))
        (when (buffer-live-p buf)
          (with-current-buffer buf (set-buffer-modified-p nil))
          (kill-buffer buf))))
    (aliasd-mode -1)))

;;; send.el ends here
