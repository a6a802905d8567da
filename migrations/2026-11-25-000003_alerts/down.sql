DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE stream_tickets;
DROP TABLE alert_preferences;
DROP TABLE alert_recipients;
DROP TABLE alerts;
