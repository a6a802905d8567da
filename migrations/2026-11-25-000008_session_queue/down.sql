DROP TABLE session_queue;
