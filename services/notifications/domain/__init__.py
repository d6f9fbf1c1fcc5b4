"""Pure notification logic: targets, agencies, verdicts and the e-mails they produce."""
