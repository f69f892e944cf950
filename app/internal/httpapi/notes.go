package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keelstack/keel/app/internal/store"
)

// Database is what the notes API and the health checks use of the store (*store.Store).
type Database interface {
	CreateNote(ctx context.Context, title *string, body string) (store.Note, error)
	Note(ctx context.Context, id int64) (store.Note, error)
	Notes(ctx context.Context, after int64, limit int) ([]store.Note, error)
	DeleteNote(ctx context.Context, id int64) error
	Ping(ctx context.Context) error
	Stats() store.Stats
}

const (
	maxNoteRunes     = 10000 // the notes table's CHECKs
	maxTitleRunes    = 200
	defaultPageLimit = 20
	maxPageLimit     = 100
)

// notes serves /api/v1/notes: GET lists (keyset pagination: ?after=<id>&limit=<n>), POST creates.
func (d Deps) notes(w http.ResponseWriter, r *http.Request) {
	db, ctx, cancel, ok := d.database(w, r)
	if !ok {
		return
	}
	defer cancel()
	if r.Method == http.MethodPost {
		in, ok := noteBody(w, r)
		if !ok {
			return
		}
		n, err := db.CreateNote(ctx, in.Title, *in.Body)
		if err != nil {
			d.storeProblem(w, r, err)
			return
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v1/notes/%d", n.ID))
		writeJSON(w, http.StatusCreated, n)
		return
	}
	after, limit, ok := page(w, r)
	if !ok {
		return
	}
	list, err := db.Notes(ctx, after, limit)
	if err != nil {
		d.storeProblem(w, r, err)
		return
	}
	out := map[string]any{"notes": list}
	if len(list) == limit { // there may be more: the next page starts after this one's last id
		out["next"] = fmt.Sprintf("/api/v1/notes?after=%d&limit=%d", list[len(list)-1].ID, limit)
	}
	if list == nil {
		out["notes"] = []store.Note{}
	}
	writeJSON(w, http.StatusOK, out)
}

// note serves /api/v1/notes/{id}: GET and DELETE.
func (d Deps) note(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		problem(w, r, http.StatusNotFound, "no such note", "note ids are positive whole numbers")
		return
	}
	db, ctx, cancel, ok := d.database(w, r)
	if !ok {
		return
	}
	defer cancel()
	if r.Method == http.MethodDelete {
		if err := db.DeleteNote(ctx, id); err != nil {
			d.storeProblem(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	n, err := db.Note(ctx, id)
	if err != nil {
		d.storeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

// database returns the store and the request's context bounded by the query deadline, or
// answers 503 when there is none (booting, or no database configured).
func (d Deps) database(w http.ResponseWriter, r *http.Request) (Database, context.Context, context.CancelFunc, bool) {
	db, configured := d.db()
	if db == nil {
		phase, _, _ := d.Monitor.State()
		detail := "the service is " + phase.String()
		if !configured {
			detail = "this deployment has no database: set the stage's database (DB_HOST) or DATABASE_URL in the vault"
		}
		problem(w, r, http.StatusServiceUnavailable, "database unavailable", detail)
		return nil, nil, nil, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), d.QueryTimeout)
	return db, ctx, cancel, true
}

// storeProblem answers a store error: 404, 503 when the database or a pooled connection was not
// to be had in time (retry), 500 otherwise. The log line has the error's class and its
// scrubbed text; the client gets neither.
func (d Deps) storeProblem(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		problem(w, r, http.StatusNotFound, "no such note", "")
		return
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		d.Logger.Warn("database unavailable", "request_id", w.Header().Get(requestIDHeader), "error", store.Class(err), "detail", err.Error())
		w.Header().Set("Retry-After", "1")
		problem(w, r, http.StatusServiceUnavailable, "database unavailable", "the database did not answer in time; retry later")
		return
	}
	d.Logger.Error("database error", "request_id", w.Header().Get(requestIDHeader), "error", store.Class(err), "detail", err.Error())
	problem(w, r, http.StatusInternalServerError, "internal error", "")
}

// newNote is a create request's body.
type newNote struct {
	Title *string `json:"title"`
	Body  *string `json:"body"`
}

// noteBody reads {"title": "...", "body": "..."}: one JSON object, no other field, body 1 to
// 10000 characters, title (optional) 1 to 200, no NUL (PostgreSQL text cannot hold it).
func noteBody(w http.ResponseWriter, r *http.Request) (newNote, bool) {
	var in newNote
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			problem(w, r, http.StatusUnsupportedMediaType, "unsupported media type", "send application/json")
			return in, false
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(&in)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			problem(w, r, http.StatusRequestEntityTooLarge, "body too large", fmt.Sprintf("the limit is %d bytes", tooLarge.Limit))
			return in, false
		}
		problem(w, r, http.StatusBadRequest, "malformed body", `send one JSON object {"title": "...", "body": "..."}`)
		return in, false
	}
	if in.Body == nil || !validText(*in.Body, maxNoteRunes) {
		problem(w, r, http.StatusUnprocessableEntity, "invalid note", fmt.Sprintf("body is required: 1 to %d characters, without NUL", maxNoteRunes))
		return in, false
	}
	if in.Title != nil && !validText(*in.Title, maxTitleRunes) {
		problem(w, r, http.StatusUnprocessableEntity, "invalid note", fmt.Sprintf("title, when given, is 1 to %d characters, without NUL", maxTitleRunes))
		return in, false
	}
	return in, true
}

// validText matches the notes table's CHECKs, and refuses NUL.
func validText(s string, max int) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= max && !strings.ContainsRune(s, 0)
}

// page reads ?after=<id>&limit=<n>.
func page(w http.ResponseWriter, r *http.Request) (after int64, limit int, ok bool) {
	q := r.URL.Query()
	after, limit = 0, defaultPageLimit
	var err error
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			problem(w, r, http.StatusBadRequest, "invalid cursor", "after is the last id of the previous page, a whole number")
			return 0, 0, false
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxPageLimit {
			problem(w, r, http.StatusBadRequest, "invalid limit", fmt.Sprintf("limit is 1 to %d", maxPageLimit))
			return 0, 0, false
		}
	}
	return after, limit, true
}
