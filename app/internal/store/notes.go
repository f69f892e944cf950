package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Note is one note.
type Note struct {
	ID        int64     `json:"id"`
	Title     *string   `json:"title,omitempty"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"createdAt"`
}

// CreateNote stores a note with title (optional) and body and returns it.
func (s *Store) CreateNote(ctx context.Context, title *string, body string) (Note, error) {
	n := Note{Title: title, Body: body}
	err := s.queryRow(ctx, `INSERT INTO notes (title, body) VALUES ($1, $2) RETURNING id, created_at`, []any{title, body}, &n.ID, &n.CreatedAt)
	return n, err
}

// Note returns the note id, or ErrNotFound.
func (s *Store) Note(ctx context.Context, id int64) (Note, error) {
	n := Note{ID: id}
	err := s.queryRow(ctx, `SELECT title, body, created_at FROM notes WHERE id = $1`, []any{id}, &n.Title, &n.Body, &n.CreatedAt)
	return n, err
}

// Notes returns up to limit notes with ids above after, oldest first: keyset pagination, so a
// page costs the same however deep it is and no note is skipped or repeated by concurrent writes.
func (s *Store) Notes(ctx context.Context, after int64, limit int) ([]Note, error) {
	return queryRows(ctx, s, `SELECT id, title, body, created_at FROM notes WHERE id > $1 ORDER BY id LIMIT $2`, []any{after, limit},
		func(r pgx.Row) (Note, error) {
			var n Note
			err := r.Scan(&n.ID, &n.Title, &n.Body, &n.CreatedAt)
			return n, err
		})
}

// DeleteNote deletes the note id, or returns ErrNotFound.
func (s *Store) DeleteNote(ctx context.Context, id int64) error {
	n, err := s.execCount(ctx, `DELETE FROM notes WHERE id = $1`, id)
	if err == nil && n == 0 {
		return ErrNotFound
	}
	return err
}
