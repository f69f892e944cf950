-- +goose Up
CREATE TABLE broken (id int REFERENCES no_such_table (id));

-- +goose Down
DROP TABLE broken;
