DROP TABLE retention_holds;
