-- One database per service: no service reads another's tables (see design.md).
-- The postgres image runs this once, when it initialises an empty data volume.
CREATE DATABASE gateway;
CREATE DATABASE catalog;
CREATE DATABASE scheduling;
CREATE DATABASE billing;
CREATE DATABASE entitlements;
CREATE DATABASE notifications;
