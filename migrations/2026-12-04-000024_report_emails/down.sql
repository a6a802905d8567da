DROP TABLE report_emails;
DROP TABLE report_subscriptions;
