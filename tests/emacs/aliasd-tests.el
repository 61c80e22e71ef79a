;;; aliasd-tests.el --- ERT tests for aliasd.el -*- lexical-binding: t; -*-

;;; Commentary:

;; Real sends from message-mode and mail-mode into a capturing
;; sendmail, against the real aliasctl and a temporary store.
;;
;;   emacs --batch -Q -L contrib/emacs -l tests/emacs/aliasd-tests.el \
;;         -f ert-run-tests-batch-and-exit
;;
;; aliasctl is $ALIASD_BUILD/aliasctl when ALIASD_BUILD is a directory
;; (tests/run.sh sets it to the build directory), $ALIASD_BUILD when it
;; names a file, else build/aliasctl of this tree.  With ALIASD_TAP=1,
;; `aliasd-tests-run-tap' prints TAP for tests/run.sh.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'subr-x)
(require 'message)
(require 'sendmail)
(require 'smtpmail)
(require 'rfc2047)
(require 'aliasd)

(defconst aliasd-tests--top
  (expand-file-name "../.." (file-name-directory
                             (or load-file-name buffer-file-name))))

(defconst aliasd-tests-aliasctl
  (let ((b (getenv "ALIASD_BUILD")))
    (cond ((and b (file-directory-p b)) (expand-file-name "aliasctl" b))
          ((and b (not (string-empty-p b))) (expand-file-name b))
          (t (expand-file-name "build/aliasctl" aliasd-tests--top))))
  "The aliasctl under test.")

;; Filled in by `aliasd-tests--with-store'.
(defvar aliasd-tests--dir nil "The test's temporary directory.")
(defvar aliasd-tests--joe nil "The address of joe@example.org.")
(defvar aliasd-tests--shop nil "The address of @shop.example.")
(defconst aliasd-tests--general "general@example.com")

;;;; Fixture

(defun aliasd-tests--ctl (&rest args)
  "Run the real aliasctl with ARGS on the test store; return stdout.
Fails the test when aliasctl fails."
  (with-temp-buffer
    (let ((status (apply #'call-process aliasd-tests-aliasctl nil t nil
                         "-c" (expand-file-name "aliasd.conf"
                                                aliasd-tests--dir)
                         args)))
      (unless (eq status 0)
        (error "aliasctl %S failed (%s): %s" args status (buffer-string)))
      (string-trim (buffer-string)))))

(defun aliasd-tests--write (file text &optional mode)
  "Write TEXT to FILE in the test directory, with MODE; return FILE."
  (let ((file (expand-file-name file aliasd-tests--dir)))
    (with-temp-file file (insert text))
    (when mode (set-file-modes file mode))
    file))

(defun aliasd-tests--file (name)
  "NAME in the test directory."
  (expand-file-name name aliasd-tests--dir))

(defmacro aliasd-tests--with-store (options &rest body)
  "Run BODY with a fresh store and every setting a send needs.
OPTIONS is a plist: :default none leaves the store without a
default address; :conf is more lines for aliasd.conf."
  (declare (indent 1) (debug t))
  `(let* ((aliasd-tests--dir (file-name-as-directory
                              (make-temp-file "aliasd-ert" t)))
          (process-environment (copy-sequence process-environment))
          (aliasd-program aliasd-tests-aliasctl)
          (aliasd-config (aliasd-tests--file "aliasd.conf"))
          (user-mail-address "me@example.net")
          (user-full-name "Me Myself")
          (message-user-fqdn "host.example.net")
          (message-auto-save-directory nil)
          (message-kill-buffer-on-exit t)
          (message-interactive t)
          (message-send-mail-function #'message-send-mail-with-sendmail)
          (message-sendmail-envelope-from 'obey-mail-envelope-from)
          (message-sendmail-f-is-evil nil)
          (message-send-hook nil)
          (message-send-mail-hook nil)
          (message-header-hook nil)
          (message-setup-hook nil)
          (message-signature nil)
          (mail-signature nil)
          (mail-send-hook nil)
          (mail-specify-envelope-from nil)
          (mail-envelope-from nil)
          (mail-interactive t)
          (mail-self-blind nil)
          (mail-default-headers nil)
          (send-mail-function #'sendmail-send-it)
          (sendmail-program
           (aliasd-tests--write
            "sendmail"
            "#!/bin/sh\nd=$(dirname \"$0\")\nprintf '%s\\n' \"$@\" >\"$d/argv.tmp\"\ncat >\"$d/message.tmp\"\nmv \"$d/message.tmp\" \"$d/message\"\nmv \"$d/argv.tmp\" \"$d/argv\"\n"
            #o755))
          (kill-ring nil)
          (kill-ring-yank-pointer nil))
     (unwind-protect
         (progn
           (setenv "ALIASD_CONF" aliasd-config)
           (aliasd-tests--write
            "aliasd.conf"
            (format "domain = example.com\nowner = me@example.net\ndatabase = %s\nuser = %s\n%s"
                    (aliasd-tests--file "aliases.db") (user-login-name)
                    (or (plist-get ',options :conf) "")))
           (aliasd-tests--ctl "init")
           (let ((aliasd-tests--joe (aliasd-tests--ctl "new" "joe@example.org"))
                 (aliasd-tests--shop (aliasd-tests--ctl "new" "@shop.example")))
             (aliasd-tests--ctl "new" "--name" "general")
             (unless (eq (plist-get ',options :default) 'none)
               (aliasd-tests--ctl "default" "general"))
             (aliasd-mode 1)
             ,@body))
       (aliasd-mode -1)
       (dolist (b (buffer-list))
         (when (with-current-buffer b
                 (derived-mode-p 'message-mode 'mail-mode))
           (with-current-buffer b (set-buffer-modified-p nil))
           (kill-buffer b)))
       (delete-directory aliasd-tests--dir t))))

;;;; Sending and looking at what was sent

(defun aliasd-tests--compose (to &optional headers body)
  "A message-mode buffer to TO with HEADERS (an alist) and BODY."
  (message-mail to "Greetings" headers)
  (message-goto-body)
  (insert (or body "Hello there.\n"))
  (current-buffer))

(defun aliasd-tests--send (to &optional headers body)
  "Compose to TO with HEADERS and BODY in message-mode and send it."
  (with-current-buffer (aliasd-tests--compose to headers body)
    (message-send-and-exit)))

(defun aliasd-tests--sent-p ()
  "Whether the capturing sendmail ran."
  (or (file-exists-p (aliasd-tests--file "message"))
      (file-exists-p (aliasd-tests--file "argv"))))

(defun aliasd-tests--argv ()
  "The arguments the capturing sendmail got."
  (should (file-exists-p (aliasd-tests--file "argv")))
  (with-temp-buffer
    (insert-file-contents (aliasd-tests--file "argv"))
    (split-string (buffer-string) "\n" t)))

(defun aliasd-tests--envelope ()
  "The -f argument sendmail got, or nil."
  (cadr (member "-f" (aliasd-tests--argv))))

(defun aliasd-tests--message ()
  "The message the capturing sendmail got, as a string."
  (should (file-exists-p (aliasd-tests--file "message")))
  (with-temp-buffer
    (set-buffer-multibyte nil)
    (insert-file-contents-literally (aliasd-tests--file "message"))
    (buffer-string)))

(defun aliasd-tests--header (name)
  "The NAME field of the sent message, unfolded and decoded, or nil."
  (with-temp-buffer
    (insert (aliasd-tests--message))
    (goto-char (point-min))
    (narrow-to-region (point-min)
                      (if (search-forward "\n\n" nil t) (point) (point-max)))
    (let ((v (mail-fetch-field name)))
      (and v (rfc2047-decode-string v)))))

(defun aliasd-tests--body ()
  "The body of the sent message."
  (let ((m (aliasd-tests--message)))
    (substring m (+ 2 (string-match "\n\n" m)))))

(defun aliasd-tests--mailboxes (field)
  "The mailboxes of header FIELD of the sent message, parsed as sent
\(encoded words and all), each (ADDRESS . DECODED-NAME)."
  (with-temp-buffer
    (insert (aliasd-tests--message))
    (goto-char (point-min))
    (narrow-to-region (point-min)
                      (if (search-forward "\n\n" nil t) (point) (point-max)))
    (mapcar (lambda (mb)
              (cons (car mb) (and (cdr mb) (rfc2047-decode-string (cdr mb)))))
            (mail-header-parse-addresses (mail-fetch-field field)))))

(defun aliasd-tests--address (field)
  "The address in header FIELD of the sent message."
  (let ((v (aliasd-tests--header field)))
    (and v (car (mail-header-parse-address v)))))

(defun aliasd-tests--name (field)
  "The display name in header FIELD of the sent message."
  (let ((v (aliasd-tests--header field)))
    (and v (cdr (mail-header-parse-address v)))))

;;;; message-mode sends

(ert-deftest aliasd-known-correspondent ()
  "Mail to Joe goes from Joe's address, in From, Reply-To, envelope."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "Joe <joe@example.org>")
    (should (equal (aliasd-tests--header "From")
                   (format "Me Myself <%s>" aliasd-tests--joe)))
    (should (equal (aliasd-tests--header "Reply-To")
                   (format "Me Myself <%s>" aliasd-tests--joe)))
    (should (equal (aliasd-tests--envelope) aliasd-tests--joe))
    (should (equal (aliasd-tests--header "To") "Joe <joe@example.org>"))
    (should (equal (aliasd-tests--header "Subject") "Greetings"))
    (should (equal (aliasd-tests--body) "Hello there.\n"))
    (should-not (string-match-p "me@example\\.net"
                                (mapconcat #'identity
                                           (aliasd-tests--argv) " ")))))

(ert-deftest aliasd-case-insensitive ()
  "JOE@EXAMPLE.ORG is Joe."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "JOE@Example.ORG")
    (should (equal (aliasd-tests--address "From") aliasd-tests--joe))))

(ert-deftest aliasd-domain-correspondent ()
  "Anybody at the shop's domain gets the shop's address."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "orders@shop.example")
    (should (equal (aliasd-tests--address "From") aliasd-tests--shop))
    (should (equal (aliasd-tests--address "Reply-To") aliasd-tests--shop))
    (should (equal (aliasd-tests--envelope) aliasd-tests--shop))))

(ert-deftest aliasd-unknown-gets-default ()
  "A stranger gets the default address."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "stranger@example.org")
    (should (equal (aliasd-tests--address "From") aliasd-tests--general))
    (should (equal (aliasd-tests--envelope) aliasd-tests--general))))

(ert-deftest aliasd-two-recipients-get-default ()
  "Joe and the shop on one message: the default address."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "joe@example.org" '((Cc . "orders@shop.example")))
    (should (equal (aliasd-tests--address "From") aliasd-tests--general))
    (should (equal (aliasd-tests--address "Reply-To") aliasd-tests--general))))

(ert-deftest aliasd-bcc-is-a-recipient ()
  "A Bcc recipient counts: Joe plus a Bcc to the shop gets the default."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "joe@example.org" '((Bcc . "orders@shop.example")))
    (should (equal (aliasd-tests--address "From") aliasd-tests--general))))

(ert-deftest aliasd-same-correspondent-twice ()
  "Two recipients of one address agree."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "joe@example.org, sales@shop.example")
    (should (equal (aliasd-tests--address "From") aliasd-tests--general))
    (aliasd-tests--ctl "new" "ann@shop.example")
    (delete-file (aliasd-tests--file "message"))
    (aliasd-tests--send "a@shop.example" '((Cc . "b@SHOP.example")))
    (should (equal (aliasd-tests--address "From") aliasd-tests--shop))))

(ert-deftest aliasd-no-default-guard-stops-send ()
  "No match and no default: the real From would leave, so nothing is sent."
  (aliasd-tests--with-store (:default none)
    (let ((err (should-error (aliasd-tests--send "stranger@example.org")
                             :type 'user-error)))
      (should (string-match-p
               "\\`Not sent: aliasctl: the message names the owner's address in From"
               (error-message-string err))))
    (should-not (aliasd-tests--sent-p))
    (should (get-buffer "*unsent mail to stranger@example.org*"))))

(ert-deftest aliasd-no-default-on-leak-send ()
  "With on_leak = send: From and envelope stay the user's."
  (aliasd-tests--with-store (:default none :conf "on_leak = send\n")
    (aliasd-tests--send "stranger@example.org")
    (should (equal (aliasd-tests--header "From") "Me Myself <me@example.net>"))
    (should-not (aliasd-tests--header "Reply-To"))
    (should (equal (aliasd-tests--envelope) "me@example.net"))))

(ert-deftest aliasd-bounce-address-envelope ()
  "With bounce_address it is the envelope sender; From is Joe's."
  (aliasd-tests--with-store (:conf "bounce_address = bounces@example.com\n")
    (aliasd-tests--send "joe@example.org")
    (should (equal (aliasd-tests--envelope) "bounces@example.com"))
    (should (equal (aliasd-tests--address "From") aliasd-tests--joe))))

(ert-deftest aliasd-bounce-address-without-choice ()
  "No address chosen, on_leak = send: the envelope is still bounce_address."
  (aliasd-tests--with-store
      (:default none
       :conf "bounce_address = bounces@example.com\non_leak = send\n")
    (aliasd-tests--send "stranger@example.org")
    (should (equal (aliasd-tests--envelope) "bounces@example.com"))
    (should (equal (aliasd-tests--address "From") "me@example.net"))))

(ert-deftest aliasd-display-name-kept ()
  "The display name the user wrote in From is kept, quoted as needed."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "joe@example.org"
                        '((From . "\"Me, Myself\" <me@example.net>")))
    (should (equal (aliasd-tests--name "From") "Me, Myself"))
    (should (equal (aliasd-tests--address "From") aliasd-tests--joe))
    (should (equal (aliasd-tests--name "Reply-To") "Me, Myself"))))

(ert-deftest aliasd-display-name-non-ascii ()
  "A non-ASCII display name survives (encoded by message on the way)."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "joe@example.org"
                        '((From . "Jürgen Müller <me@example.net>")))
    (should (equal (aliasd-tests--name "From") "Jürgen Müller"))
    (should (equal (aliasd-tests--address "From") aliasd-tests--joe))))

(ert-deftest aliasd-full-name-when-none ()
  "From without a name: full_name of aliasd.conf is used."
  (aliasd-tests--with-store (:conf "full_name = Aliased Me\n")
    (aliasd-tests--send "joe@example.org" '((From . "me@example.net")))
    (should (equal (aliasd-tests--header "From")
                   (format "Aliased Me <%s>" aliasd-tests--joe)))))

(ert-deftest aliasd-name-showing-real-address-dropped ()
  "A display name that shows the real address is not kept."
  (aliasd-tests--with-store (:conf "full_name = Me Myself\n")
    (aliasd-tests--send "joe@example.org"
                        '((From . "\"me@example.net\" <me@example.net>")))
    (should (equal (aliasd-tests--header "From")
                   (format "Me Myself <%s>" aliasd-tests--joe)))
    (should-not (string-match-p "me@example\\.net" (aliasd-tests--message)))))

(ert-deftest aliasd-alias-from-is-own ()
  "From already one of the aliases (a managed domain) is rewritten."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "orders@shop.example"
                        `((From . ,(format "Me <%s>" aliasd-tests--joe))))
    (should (equal (aliasd-tests--header "From")
                   (format "Me <%s>" aliasd-tests--shop)))))

(ert-deftest aliasd-other-sender-untouched ()
  "Mail from somebody else's address passes untouched."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "joe@example.org"
                        '((From . "Colleague <colleague@other.example>")))
    (should (equal (aliasd-tests--header "From")
                   "Colleague <colleague@other.example>"))
    (should-not (aliasd-tests--header "Reply-To"))))

(ert-deftest aliasd-reply-to-replaced ()
  "An existing Reply-To naming the real address is replaced, once."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "joe@example.org"
                        '((Reply-To . "me@example.net")))
    (should (equal (aliasd-tests--address "Reply-To") aliasd-tests--joe))
    (should-not (string-match-p "me@example\\.net" (aliasd-tests--message)))))

(ert-deftest aliasd-sender-removed ()
  "A Sender that message would add with the real login is removed."
  (aliasd-tests--with-store ()
    (let ((message-syntax-checks nil))
      (cl-letf (((symbol-function 'system-name)
                 (lambda () "host.example.net")))
        (aliasd-tests--send "joe@example.org")))
    (should (equal (aliasd-tests--address "From") aliasd-tests--joe))
    (should-not (aliasd-tests--header "Sender"))))

(ert-deftest aliasd-via-send-mail-function ()
  "message through `send-mail-function' (sendmail-send-it) gets the envelope."
  (aliasd-tests--with-store (:conf "bounce_address = bounces@example.com\n")
    (let ((message-send-mail-function #'message-use-send-mail-function))
      (aliasd-tests--send "joe@example.org"))
    (should (equal (aliasd-tests--envelope) "bounces@example.com"))
    (should (equal (aliasd-tests--address "From") aliasd-tests--joe))))

;; A fake SMTP server in this Emacs: smtpmail waits for replies with
;; `accept-process-output', which runs the server's filter meanwhile.

(defvar aliasd-tests--smtp-log nil
  "What the fake SMTP server was told: a list of (MAIL-FROM RCPTS DATA).")

(defun aliasd-tests--smtp-filter (proc string)
  "Answer PROC, an SMTP client, after it sent STRING."
  (let ((buf (concat (or (process-get proc :buf) "") string)))
    (while (string-match "\r?\n" buf)
      (let ((line (substring buf 0 (match-beginning 0))))
        (setq buf (substring buf (match-end 0)))
        (cond
         ((process-get proc :in-data)
          (if (equal line ".")
              (progn
                (process-put proc :in-data nil)
                (push (list (process-get proc :from)
                            (reverse (process-get proc :rcpts))
                            (process-get proc :data))
                      aliasd-tests--smtp-log)
                (process-send-string proc "250 2.0.0 queued\r\n"))
            (process-put proc :data (concat (process-get proc :data)
                                            line "\n"))))
         ((string-match "\\`\\(EHLO\\|HELO\\)" line)
          (process-send-string proc "250 fake.invalid\r\n"))
         ((string-match "\\`MAIL FROM: ?<\\([^>]*\\)>" line)
          (process-put proc :from (match-string 1 line))
          (process-put proc :rcpts nil)
          (process-put proc :data "")
          (process-send-string proc "250 2.1.0 ok\r\n"))
         ((string-match "\\`RCPT TO: ?<\\([^>]*\\)>" line)
          (process-put proc :rcpts (cons (match-string 1 line)
                                         (process-get proc :rcpts)))
          (process-send-string proc "250 2.1.5 ok\r\n"))
         ((equal line "DATA")
          (process-put proc :in-data t)
          (process-send-string proc "354 go ahead\r\n"))
         ((equal line "QUIT")
          (process-send-string proc "221 2.0.0 bye\r\n")
          (delete-process proc))
         (t (process-send-string proc "250 ok\r\n")))))
    (when (process-live-p proc)
      (process-put proc :buf buf))))

(defmacro aliasd-tests--with-smtp (&rest body)
  "Run BODY with message sending through smtpmail to a fake server."
  (declare (indent 0) (debug t))
  `(let* ((aliasd-tests--smtp-log nil)
          (server (make-network-process
                   :name "aliasd-fake-smtp" :server t :host "127.0.0.1"
                   :service t :family 'ipv4 :coding 'binary
                   :filter #'aliasd-tests--smtp-filter
                   :log (lambda (_server client _msg)
                          (process-send-string client "220 fake.invalid ESMTP\r\n")))))
     (unwind-protect
         (let ((message-send-mail-function #'message-use-send-mail-function)
               (send-mail-function #'smtpmail-send-it)
               (smtpmail-smtp-server "127.0.0.1")
               (smtpmail-smtp-service (process-contact server :service))
               (smtpmail-stream-type 'plain)
               (smtpmail-queue-mail nil)
               (smtpmail-debug-info nil)
               (smtpmail-servers-requiring-authorization nil))
           ,@body)
       (delete-process server))))

(ert-deftest aliasd-via-smtpmail ()
  "message through smtpmail: MAIL FROM is the bounce address."
  (aliasd-tests--with-store (:conf "bounce_address = bounces@example.com\n")
    (aliasd-tests--with-smtp
      (aliasd-tests--send "joe@example.org")
      (should (= (length aliasd-tests--smtp-log) 1))
      (pcase-let ((`(,from ,rcpts ,data) (car aliasd-tests--smtp-log)))
        (should (equal from "bounces@example.com"))
        (should (equal rcpts '("joe@example.org")))
        (should (string-match-p
                 (regexp-quote (format "From: Me Myself <%s>\n"
                                       aliasd-tests--joe))
                 data))
        (should-not (string-match-p "me@example\\.net" data))))))

(ert-deftest aliasd-via-smtpmail-no-bounce ()
  "message through smtpmail without a bounce address: the chosen one."
  (aliasd-tests--with-store ()
    (aliasd-tests--with-smtp
      (aliasd-tests--send "orders@shop.example")
      (should (equal (car (car aliasd-tests--smtp-log)) aliasd-tests--shop)))))

(ert-deftest aliasd-mail-mode-smtpmail ()
  "mail-mode through smtpmail with a bounce address."
  (aliasd-tests--with-store (:conf "bounce_address = bounces@example.com\n")
    (aliasd-tests--with-smtp
      (mail nil "orders@shop.example" "Greetings")
      (mail-text)
      (insert "Hello.\n")
      (mail-send)
      (should (equal (car (car aliasd-tests--smtp-log))
                     "bounces@example.com"))
      (should (string-match-p (regexp-quote aliasd-tests--shop)
                              (nth 2 (car aliasd-tests--smtp-log)))))))

;; A send that fails after the rewrite (sendmail refused it) is tried
;; again from the same buffer: From is now the alias, in a managed
;; domain, which aliasctl still takes for the owner's mail.
(ert-deftest aliasd-retry-after-sendmail-failure ()
  "Second attempt after a failed sendmail: same alias, same envelope."
  (aliasd-tests--with-store ()
    (let ((good sendmail-program))
      (let ((sendmail-program (aliasd-tests--write
                               "failing-sendmail" "#!/bin/sh\ncat >/dev/null\nexit 75\n"
                               #o755)))
        (should-error (aliasd-tests--send "joe@example.org")))
      (should-not (aliasd-tests--sent-p))
      (with-current-buffer "*unsent mail to joe@example.org*"
        (let ((sendmail-program good))
          (message-send-and-exit)))
      (should (equal (aliasd-tests--header "From")
                     (format "Me Myself <%s>" aliasd-tests--joe)))
      (should (equal (aliasd-tests--envelope) aliasd-tests--joe)))))

;;;; The owner's address nowhere (issue 11): aliasctl rewrite decides

(ert-deftest aliasd-owner-in-cc-and-receipt-rewritten ()
  "The owner in Cc and Disposition-Notification-To becomes the alias."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "joe@example.org"
                        '((Cc . "Me Myself <me@example.net>, ann@example.org")
                          (Disposition-Notification-To . "me@example.net")))
    ;; joe, ann and the owner differ: the default address
    (should (equal (aliasd-tests--address "From") aliasd-tests--general))
    (should (string-match-p "ann@example\\.org" (aliasd-tests--header "Cc")))
    (should (string-match-p (regexp-quote aliasd-tests--general)
                            (aliasd-tests--header "Cc")))
    (should (equal (aliasd-tests--address "Disposition-Notification-To")
                   aliasd-tests--general))
    (should (equal (aliasd-tests--envelope) aliasd-tests--general))
    (should-not (string-match-p "me@example\\.net" (aliasd-tests--message)))
    (should-not (member "me@example.net" (aliasd-tests--argv)))))

(ert-deftest aliasd-group-recipients ()
  "A group in To: its members are the recipients; To stays as written."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "friends: Joe <joe@example.org>;")
    (should (equal (aliasd-tests--address "From") aliasd-tests--joe))
    (should (equal (aliasd-tests--header "To")
                   "friends: Joe <joe@example.org>;"))
    (should (equal (aliasd-tests--envelope) aliasd-tests--joe))))

(ert-deftest aliasd-display-name-non-ascii-kept ()
  "Real Öwner stays Real Öwner, and a comma in such a name stays quoted."
  (aliasd-tests--with-store ()
    (aliasd-tests--send "joe@example.org"
                        '((From . "Real Öwner <me@example.net>")))
    (should (equal (aliasd-tests--header "From")
                   (format "Real Öwner <%s>" aliasd-tests--joe)))
    (should (equal (aliasd-tests--header "Reply-To")
                   (format "Real Öwner <%s>" aliasd-tests--joe)))
    ;; the raw message holds encoded words, no 8-bit header
    (should-not (string-match-p "[\200-\377]"
                                (car (split-string (aliasd-tests--message)
                                                   "\n\n"))))
    (delete-file (aliasd-tests--file "message"))
    (aliasd-tests--send "joe@example.org"
                        '((From . "\"Müller, Jürgen\" <me@example.net>")))
    (should (equal (aliasd-tests--mailboxes "From")
                   (list (cons aliasd-tests--joe "Müller, Jürgen"))))))

(ert-deftest aliasd-leak-guard-stops-send ()
  "A field naming the owner that no rule rewrites: nothing is sent."
  (aliasd-tests--with-store ()
    (let ((err (should-error
                (aliasd-tests--send "joe@example.org"
                                    '((X-Original-Sender . "me@example.net")))
                :type 'user-error)))
      (should (string-match-p
               "\\`Not sent: aliasctl: .*owner's address in X-Original-Sender"
               (error-message-string err))))
    (should-not (aliasd-tests--sent-p))))

(ert-deftest aliasd-fcc-copy-rewritten ()
  "The copy kept by Fcc is the message as sent, with the alias."
  (aliasd-tests--with-store ()
    (let ((fcc (aliasd-tests--file "sent"))
          (message-fcc-handler-function
           (lambda (file) (write-region (point-min) (point-max) file))))
      (aliasd-tests--send "joe@example.org" `((Fcc . ,fcc)))
      (should (equal (aliasd-tests--address "From") aliasd-tests--joe))
      (with-temp-buffer
        (insert-file-contents fcc)
        (goto-char (point-min))
        (should (re-search-forward
                 (concat "^From: Me Myself <" (regexp-quote aliasd-tests--joe)
                         ">$")
                 nil t))
        (goto-char (point-min))
        (should-not (re-search-forward "^From:.*me@example\\.net" nil t))))))

(ert-deftest aliasd-auto-create ()
  "auto_create: a new correspondent gets a new address as the mail leaves."
  (aliasd-tests--with-store (:default none :conf "auto_create = yes\n")
    (aliasd-tests--send "newbie@example.org")
    (let ((made (aliasd-tests--ctl "for" "newbie@example.org")))
      (should (string-match-p "@example\\.com\\'" made))
      (should (equal (aliasd-tests--address "From") made))
      (should (equal (aliasd-tests--envelope) made)))))

;;;; Errors stop the send

(ert-deftest aliasd-error-missing-store-stops-send ()
  "A configuration naming a missing store: user-error, nothing sent."
  (aliasd-tests--with-store ()
    (let ((aliasd-config
           (aliasd-tests--write
            "broken.conf"
            (format "domain = example.com\nowner = me@example.net\ndatabase = %s\nuser = %s\n"
                    (aliasd-tests--file "missing/aliases.db")
                    (user-login-name))))
          (buffer (aliasd-tests--compose "joe@example.org")))
      (with-current-buffer buffer
        (let ((err (should-error (message-send-and-exit) :type 'user-error)))
          (should (string-match-p "Not sent: aliasctl: "
                                  (error-message-string err))))
        (should-not (aliasd-tests--sent-p))
        (should (buffer-live-p buffer))
        (should-not (local-variable-p 'message-sendmail-envelope-from))))))

(ert-deftest aliasd-error-busy-store-stops-send ()
  "aliasctl exiting 75: its one-line message is shown, nothing sent."
  (aliasd-tests--with-store ()
    (let ((aliasd-program
           (aliasd-tests--write
            "busy-aliasctl"
            "#!/bin/sh\necho 'aliasctl: the store is busy: try again' >&2\nexit 75\n"
            #o755)))
      (let ((err (should-error (aliasd-tests--send "joe@example.org")
                               :type 'user-error)))
        (should (equal (error-message-string err)
                       "Not sent: aliasctl: the store is busy: try again")))
      (should-not (aliasd-tests--sent-p))
      ;; The same buffer, with aliasctl fixed, then goes out right.
      (with-current-buffer "*unsent mail to joe@example.org*"
        (setq aliasd-program aliasd-tests-aliasctl)
        (message-send-and-exit))
      (should (equal (aliasd-tests--address "From") aliasd-tests--joe)))))

(ert-deftest aliasd-error-missing-program-stops-send ()
  "No aliasctl at all: user-error, nothing sent."
  (aliasd-tests--with-store ()
    (let ((aliasd-program (aliasd-tests--file "no-such-aliasctl")))
      (should-error (aliasd-tests--send "joe@example.org") :type 'user-error)
      (should-not (aliasd-tests--sent-p)))))

(ert-deftest aliasd-error-killed-without-message ()
  "aliasctl failing silently still stops the send, with its status."
  (aliasd-tests--with-store ()
    (let ((aliasd-program (aliasd-tests--write "quiet" "#!/bin/sh\nexit 65\n"
                                               #o755)))
      (let ((err (should-error (aliasd-tests--send "joe@example.org")
                               :type 'user-error)))
        (should (string-match-p "status 65" (error-message-string err))))
      (should-not (aliasd-tests--sent-p)))))

;;;; mail-mode (sendmail.el, Rmail)

(ert-deftest aliasd-mail-mode-send ()
  "mail-mode's `mail-send' with sendmail-send-it: From, Reply-To, -f."
  (aliasd-tests--with-store ()
    (let ((mail-specify-envelope-from nil))
      (mail nil "joe@example.org" "Greetings")
      (mail-text)
      (insert "Hello from mail-mode.\n")
      (mail-send)
      (should (equal (aliasd-tests--address "From") aliasd-tests--joe))
      (should (equal (aliasd-tests--name "From") "Me Myself"))
      (should (equal (aliasd-tests--address "Reply-To") aliasd-tests--joe))
      (should (equal (aliasd-tests--envelope) aliasd-tests--joe))
      (should (equal (aliasd-tests--body) "Hello from mail-mode.\n")))))

(ert-deftest aliasd-mail-mode-error-stops-send ()
  "mail-mode: an aliasctl error stops `mail-send'."
  (aliasd-tests--with-store ()
    (let ((aliasd-program (aliasd-tests--write
                           "busy" "#!/bin/sh\necho busy >&2\nexit 75\n"
                           #o755)))
      (mail nil "joe@example.org" "Greetings")
      (mail-text)
      (insert "Hello.\n")
      (should-error (mail-send) :type 'user-error)
      (should-not (aliasd-tests--sent-p)))))

;;;; Commands

(ert-deftest aliasd-new-kill-ring ()
  "`aliasd-new' makes an address, copies it, and aliasctl knows it."
  (aliasd-tests--with-store ()
    (let ((address (aliasd-new "ann@example.org")))
      (should (string-match-p
               "\\`mail-[0-9]\\{4\\}-[a-km-np-z2-9]\\{6\\}@example\\.com\\'"
               address))
      (should (equal (current-kill 0) address))
      (should (equal (aliasd-tests--ctl "for" "ann@example.org") address)))))

(ert-deftest aliasd-new-named ()
  "`aliasd-new' with a name and no correspondent."
  (aliasd-tests--with-store ()
    (should (equal (aliasd-new "" "ebay") "ebay@example.com"))
    (should (equal (current-kill 0) "ebay@example.com"))))

(ert-deftest aliasd-new-defaults-to-to ()
  "In a message being written, the correspondent defaults to its To."
  (aliasd-tests--with-store ()
    (with-current-buffer (aliasd-tests--compose "Bob <bob@example.org>")
      (should (equal (aliasd--default-correspondent) "bob@example.org")))))

(ert-deftest aliasd-new-error ()
  "`aliasd-new' with a malformed correspondent: aliasctl's message."
  (aliasd-tests--with-store ()
    (should-error (aliasd-new "not an address") :type 'user-error)))

(ert-deftest aliasd-retire-then-default ()
  "After `aliasd-retire', Joe gets the default address."
  (aliasd-tests--with-store ()
    (aliasd-retire aliasd-tests--joe "leaked to spammers")
    (should (equal (aliasd-tests--ctl "for" "joe@example.org")
                   aliasd-tests--general))
    (should-not (member aliasd-tests--joe
                        (mapcar (lambda (e) (alist-get 'address e))
                                (aliasd--addresses))))
    (aliasd-tests--send "joe@example.org")
    (should (equal (aliasd-tests--address "From") aliasd-tests--general))))

(ert-deftest aliasd-list-buffer ()
  "`aliasd-list' shows every address, retired ones too."
  (aliasd-tests--with-store ()
    (aliasd-retire aliasd-tests--shop nil)
    (aliasd-list)
    (with-current-buffer "*aliasd*"
      (should (derived-mode-p 'aliasd-list-mode))
      (let ((text (buffer-string)))
        (should (string-match-p (regexp-quote aliasd-tests--joe) text))
        (should (string-match-p "joe@example\\.org" text))
        (should (string-match-p (regexp-quote aliasd-tests--shop) text))
        (should (string-match-p "retired" text)))
      (goto-char (point-min))
      (search-forward aliasd-tests--joe)
      (aliasd-list-copy)
      (should (equal (current-kill 0) aliasd-tests--joe))
      ;; g shows what changed since.
      (let ((new (aliasd-new "zoe@example.org")))
        (revert-buffer)
        (should (string-match-p (regexp-quote new) (buffer-string)))
        (should (string-match-p "zoe@example\\.org" (buffer-string))))
      (kill-buffer))))

;;;; Leaks and replace

(ert-deftest aliasd-replace-real ()
  "`aliasd-replace' retires the address and copies the new one."
  (aliasd-tests--with-store ()
    (aliasd-tests--ctl "set" aliasd-tests--joe "--lock" "domain"
                       "--allow" "mailer.example")
    (let ((new (aliasd-replace (car (split-string aliasd-tests--joe "@"))
                               "leaked to spammers")))
      (should (string-match-p
               "\\`mail-[0-9]\\{4\\}-[a-km-np-z2-9]\\{6\\}@example\\.com\\'"
               new))
      (should-not (equal new aliasd-tests--joe))
      (should (equal (current-kill 0) new))
      (should (equal (aliasd-tests--ctl "for" "joe@example.org") new))
      (let ((old (aliasd--json-read
                  (aliasd-tests--ctl "--json" "show" aliasd-tests--joe)))
            (got (aliasd--json-read
                  (aliasd-tests--ctl "--json" "show" new))))
        (should (equal (alist-get 'state old) "retired"))
        (should (equal (alist-get 'reason old) "leaked to spammers"))
        (should (equal (alist-get 'lock got) "domain"))
        (should (equal (alist-get 'allow got) '("mailer.example"))))
      ;; The next message to Joe leaves from the new address.
      (aliasd-tests--send "joe@example.org")
      (should (equal (aliasd-tests--address "From") new)))))

(ert-deftest aliasd-replace-missing ()
  "`aliasd-replace' of an address that does not exist: aliasctl's message."
  (aliasd-tests--with-store ()
    (let ((err (should-error (aliasd-replace "mail-9999" nil)
                             :type 'user-error)))
      (should (string-match-p "no address matches" (cadr err))))
    (should-not kill-ring)))

(defconst aliasd-tests--leaks-json
  "[\n{\"address\":\"mail-0001-aaaaaa@example.com\",\"correspondent\":\"joe@example.org\",\"state\":\"active\",\"domain\":\"broker.example\",\"first\":\"2026-11-20T10:00:00Z\",\"last\":\"2026-11-22T10:00:00Z\",\"messages\":2},\n{\"address\":\"ebay@example.com\",\"correspondent\":null,\"state\":\"retired\",\"domain\":\"sp\\u001bam.example\",\"first\":\"2026-11-01T10:00:00Z\",\"last\":\"2026-11-02T10:00:00Z\",\"messages\":17}\n]"
  "What aliasctl --json leaks prints for two sightings.")

(defmacro aliasd-tests--with-stub (calls output &rest body)
  "Run BODY with aliasctl stubbed: it prints OUTPUT and exits 0.
The argument lists it was called with are pushed onto CALLS."
  (declare (indent 2) (debug t))
  `(cl-letf (((symbol-function 'aliasd--run-input)
              (lambda (_input &rest args)
                (push args ,calls)
                (list 0 ,output ""))))
     ,@body))

(ert-deftest aliasd-leaks-table ()
  "`aliasd-leaks' shows aliasctl's sightings in its order, newest first."
  (let ((calls nil)
        (aliasd-leaks-since nil)
        (process-environment (cons "TZ=UTC" process-environment)))
    (aliasd-tests--with-stub calls aliasd-tests--leaks-json
      (aliasd-leaks)
      (should (equal (car calls) '("--json" "leaks")))
      (with-current-buffer "*aliasd leaks*"
        (should (derived-mode-p 'aliasd-leaks-mode))
        (should (equal (mapcar #'car tabulated-list-entries)
                       '(("mail-0001-aaaaaa@example.com" . "broker.example")
                         ("ebay@example.com" . "sp\eam.example"))))
        (let ((text (buffer-string)))
          (should (< (string-match "broker\\.example" text)
                     (string-match "ebay@example\\.com" text)))
          (should (string-match-p "joe@example\\.org" text))
          (should (string-match-p "2026-11-22 10:00" text))
          (should (string-match-p "retired" text)))
        (goto-char (point-min))
        (search-forward "ebay@example.com")
        (aliasd-leaks-copy)
        (should (equal (current-kill 0) "ebay@example.com"))
        ;; g asks aliasctl again, with the same span.
        (setq calls nil)
        (revert-buffer)
        (should (equal (car calls) '("--json" "leaks")))
        (kill-buffer)))))

(ert-deftest aliasd-leaks-since ()
  "`aliasd-leaks' passes the span on, and keeps it for refreshing."
  (let ((calls nil) (aliasd-leaks-since "30d"))
    (aliasd-tests--with-stub calls "[]"
      (aliasd-leaks)
      (should (equal (car calls) '("--json" "leaks" "--since" "30d")))
      (aliasd-leaks "2w")
      (should (equal (car calls) '("--json" "leaks" "--since" "2w")))
      (with-current-buffer "*aliasd leaks*"
        (should (null tabulated-list-entries))
        (setq calls nil)
        (revert-buffer)
        (should (equal (car calls) '("--json" "leaks" "--since" "2w")))
        (kill-buffer)))))

(ert-deftest aliasd-leaks-replace-at-point ()
  "In the leaks table, r replaces the address at point."
  (let ((calls nil) (aliasd-leaks-since nil) (kill-ring nil))
    (aliasd-tests--with-stub calls aliasd-tests--leaks-json
      (aliasd-leaks)
      (with-current-buffer "*aliasd leaks*"
        (goto-char (point-min))
        (search-forward "mail-0001-aaaaaa@example.com")
        (cl-letf (((symbol-function 'aliasd--run-input)
                   (lambda (_input &rest args)
                     (push args calls)
                     (if (equal (car args) "replace")
                         (list 0 "mail-0002-bbbbbb@example.com" "")
                       (list 0 aliasd-tests--leaks-json "")))))
          (aliasd-leaks-replace "leaked"))
        (should (member '("replace" "--reason" "leaked" "--"
                          "mail-0001-aaaaaa@example.com")
                        calls))
        (should (equal (current-kill 0) "mail-0002-bbbbbb@example.com"))
        (kill-buffer)))))

(ert-deftest aliasd-leaks-error ()
  "When aliasctl fails, `aliasd-leaks' says aliasctl's one line."
  (cl-letf (((symbol-function 'aliasd--run-input)
             (lambda (_input &rest _args)
               (list 75 "" "aliasctl: the store is busy; try again later"))))
    (let ((err (should-error (aliasd-leaks) :type 'user-error)))
      (should (equal (cadr err)
                     "aliasctl: the store is busy; try again later")))))

;;;; TAP for tests/run.sh

(defun aliasd-tests-run-tap (&optional first)
  "Run every test, print TAP on stdout, exit non-zero on failure.
Test lines are numbered from FIRST (default 1); the plan line
counts from 1, so that a caller may print lines before these."
  (let* ((stats (ert-run-tests-batch t))
         (tests (ert--stats-tests stats))
         (results (ert--stats-test-results stats))
         (n (1- (or first 1))) (failed 0))
    (dotimes (i (length tests))
      (let* ((test (aref tests i))
             (ok (ert-test-result-expected-p test (aref results i))))
        (setq n (1+ n))
        (unless ok (setq failed (1+ failed)))
        (princ (format "%s %d - emacs: %s\n" (if ok "ok" "not ok") n
                       (ert-test-name test)))))
    (princ (format "1..%d\n" n))
    (kill-emacs (if (zerop failed) 0 1))))

(provide 'aliasd-tests)
;;; aliasd-tests.el ends here
