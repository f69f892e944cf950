-- Expand: a nullable column, so the previous version (which neither reads nor writes it) keeps
-- serving on this schema during a roll (test/e2e TestPreviousVersionServesMigratedSchema).
-- +goose Up
ALTER TABLE notes ADD COLUMN title text CHECK (char_length(title) BETWEEN 1 AND 200);

-- +goose Down
ALTER TABLE notes DROP COLUMN title;
