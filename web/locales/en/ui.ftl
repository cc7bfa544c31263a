# Web pages (English). Every language has the same message ids (checked by a unit test).

## Shell
skip-to-content = Skip to content
demo-banner = Demo mode: test data only, do not enter real patient data.
demo-network-banner = This demo is reachable from the network (--demo-on-network): its passwords are public and every login code is shown on its outbox page. Use it only on a network you trust.
nav-label = Main menu
nav-home = My home page
nav-my-data = My data
nav-login = Log in
nav-register = Create an account
nav-logout = Log out ({ $name })
lang-switch-label = Language
footer-text = Teleconsultation service. Your data stay on this site's server and are processed under the GDPR.
back = Back
back-home = Back to the home page

## Landing page
landing-intro = See a doctor or another health professional by video or phone, from home or from a booth at the pharmacy.
landing-go-home = Go to my home page
landing-needs-title = What you need
landing-need-id = your national identification number (social security number)
landing-need-phone = a mobile phone: a new login code is sent to it by SMS each time you log in
landing-need-email = an e-mail address: for your activation link, confirmations and documents
landing-need-device = a computer, tablet or smartphone with a camera and a microphone
landing-practitioners = Practitioners
landing-no-practitioner = No practitioner is registered at this site yet.
landing-status = Service status:
status-ready = ready
status-starting = starting
specialty-general-practice = General practice
specialty-dermatology = Dermatology
specialty-speech-therapy = Speech therapy
specialty-dietetics = Dietetics
specialty-paediatrics = Paediatrics
specialty-midwifery = Midwifery
specialty-dentistry = Dentistry

## Registration
register-title = Create your account
register-intro = Fill in every field. We send an activation link to your e-mail address; your account works once you have opened it.
register-identity = Who you are
register-national-id = National identification number
register-national-id-hint-lu = The 13 digits of your Luxembourg social security number (matricule), e.g. 1985 0715 123 45.
register-national-id-hint-fr = Your French social security number (NIR): 15 characters including the 2-digit key.
register-national-id-hint-pt = Your Portuguese SNS user number (número de utente): 9 digits.
register-first-name = First name
register-last-name = Last name
register-birth-date = Date of birth
register-birth-date-hint = It must match the date in your national identification number.
register-contact = How we reach you
register-phone = Mobile phone number
register-phone-hint = With the country code, e.g. +352 621 123 456. Your login codes are sent to it by SMS.
register-email = E-mail address
register-email-hint = You log in with it; confirmations and documents are sent to it.
field-language = Language
register-password-legend = Your password
register-password = Password
register-password-confirm = Password again
password-rule = At least 10 characters mixing 3 of: lower-case letters, upper-case letters, digits, symbols — or 16 characters or more. It must not contain your e-mail name.
register-consents = Your consent
register-consents-version = Version { $version } of these texts.
consent-data-processing-label = I agree to the processing of my data
consent-data-processing-text = This site processes your personal and health data to organise your teleconsultations, in line with the GDPR. They are shared only with the health professionals who treat you and, where the law requires, with the health insurance. You may see, correct, download or erase them at any time.
consent-teleconsultation-label = I agree to be consulted remotely
consent-teleconsultation-text = The consultation takes place by video or by phone. The practitioner may decide that you must be seen in person.
register-submit = Create my account
register-have-account = Already have an account?

## Field errors
form-errors-title = Please correct the following
error-national-id = Check your national identification number: it is not valid.
error-first-name = Enter your first name.
error-last-name = Enter your last name.
error-birth-date = Enter a valid date of birth that matches your national identification number.
error-phone = Enter a mobile number with the country code, e.g. +352 621 123 456.
error-email = Enter a valid e-mail address, e.g. name@example.lu.
error-language = Choose a language from the list.
error-password = This password is not strong enough: see the rule above.
error-password-confirm = The two passwords are different.
error-consent-data-processing = Your agreement to the processing of your data is needed to create an account.
error-consent-teleconsultation = Your agreement to remote consultations is needed to create an account.
error-already-registered = An account with this data already exists: log in, or reset your password.

## Check e-mail and activation
check-email-title = Check your e-mail
check-email-sent = Your account has been created. We have sent you an e-mail with an activation link.
check-email-next = Open the link within 72 hours to activate your account, then log in.
check-email-spam = No e-mail after a few minutes? Look in your spam folder.
activation-done-title = Your account is active
activation-done = Your account is now active. You can log in with your e-mail address, your password and the code we send you by SMS.
activation-login = Log in
activation-invalid-title = This link does not work
activation-invalid = This activation link is invalid, already used or expired. If you have already activated your account, simply log in.

## Login
login-title = Log in
login-login = E-mail address or login
login-login-hint = Patients log in with their e-mail address.
login-password = Password
login-submit = Continue
login-forgot = Forgot your password?
login-no-account = No account yet?
login-invalid = The login or the password is wrong.
login-not-activated = Your account is not activated yet: open the link in the activation e-mail we sent you.
code-title = Enter your code
code-intro = We have sent a 6-digit code by SMS to your mobile phone.
code-label = Code received by SMS
code-hint = 6 digits. It is valid for 5 minutes.
code-submit = Confirm
code-restart = No SMS? Start again
code-wrong = This code is wrong. Attempts left: { $left }.
code-expired = This code has expired or was tried too often. Log in again to receive a new one.

## Password reset
reset-title = Reset your password
reset-intro = Enter your login: we send a link to choose a new password to the account's e-mail address.
reset-submit = Send me a link
reset-sent = If an account exists for this login, we have sent it an e-mail. The link works for one hour.
reset-new-title = Choose a new password
reset-new-password = New password
reset-confirm-submit = Save my new password
reset-done-title = Password changed
reset-done = Your password has been changed. Log in with it now.
reset-invalid-title = This link does not work
reset-invalid = This link is invalid, already used or expired.
reset-again = Ask for a new link

## Home pages
home-title = My home page
home-welcome = Hello { $name }.
home-appointments = My appointments
home-no-appointment = You have no appointment yet.
home-documents = My documents
home-no-document = You have no document yet.
home-account = My account
home-role-welcome = Hello { $name }, you are logged in as { $role }.
role-patient = patient
role-practitioner = practitioner
role-staff = booth or secretariat staff
role-pharmacist = pharmacist
role-admin = administrator

## My data
me-title = My data
me-held = What we hold about you
me-name = Name
me-created = Account created on
me-rectify = Correct your details
me-save = Save changes
me-saved = Your changes have been saved.
me-consents = Your consents
me-consents-intro = You can withdraw a consent at any time. Without both consents you cannot book a teleconsultation.
me-consent-given = given on { $date } (text version { $version })
me-consent-withdrawn = withdrawn on { $date }
me-withdraw = Withdraw this consent
me-withdrawn = Your consent has been withdrawn.
me-export = Download your data
me-export-intro = A file (JSON) with everything this site holds about you, including who accessed it and when.
me-export-link = Download my data
me-erase = Delete your account
me-erase-intro = Deletes your account and your data from this site.
me-erase-link = Delete my account…
erase-title = Delete your account
erase-what = Your account, your identity and contact details and your consents will be deleted from this site. You will no longer be able to log in. This cannot be undone.
erase-kept = We keep only what the law requires: the record of accesses to your data (identifiers and dates, no health data).
erase-confirm = I understand that my account and my data will be deleted for good
erase-confirm-missing = Tick the box to confirm.
erase-submit = Delete my account
erase-cancel = Cancel, keep my account
erase-done-title = Account deleted
erase-done = Your account and your data have been deleted.

## Errors
error-title = Something went wrong
not-found-title = Page not found
not-found = This page does not exist.
bad-form = The form could not be read. Go back and try again.
server-error = An error occurred on our side. Please try again in a moment.
unavailable = The service is temporarily unavailable. Please try again in a moment.
too-many-title = Too many attempts
too-many-attempts = Too many attempts. Wait { $minutes } minute(s) and try again.
csrf-refused-title = Form expired
csrf-refused = This form has expired or did not come from this site, so it was not sent.
csrf-refused-reload = Reload the page and try again

## Demo outbox
outbox-title = Demo outbox
outbox-intro = Demo mode: the e-mails and SMS the site would have sent are shown here instead.
outbox-empty = No message yet.

## The store's condition (banner on the site's people's pages; page while nothing is served)
storage-contact-default = the site's administrator
storage-banner-filling = The storage disk of this site is { $count } % full ({ $mb } MB free). Ask the site's administrator to free space: below the reserve, files are refused so that appointments, documents and the audit trail keep room.
storage-banner-refusing = Nothing can be saved at the moment: the storage of this site is full or failing, and health data cannot be shown because each access must be recorded first. Call { $name }.
storage-banner-damaged = The last check of the store found { $count } damaged records. Ask the site's administrator to run “teleconsultctl verify” and to restore the latest backup.
storage-banner-rolled-back = The store has gone back to an earlier state: data recorded since then is missing, and nothing is served until the latest backup is restored. Call { $name }.
storage-files-refused = The storage of this site is nearly full: files cannot be sent for now (appointments and documents still work). Try again later, or bring the document to the consultation.
storage-fenced-title = Service stopped: data missing
storage-fenced-text = This site's data has gone back to an earlier state, so nothing is shown or saved until it is restored from a backup. Please call { $name }.
