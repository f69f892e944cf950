-- +goose Up
CREATE TABLE slow (id int);
SELECT pg_sleep(1);

-- +goose Down
DROP TABLE slow;
