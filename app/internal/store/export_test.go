package store

import (
	"embed"
	"io/fs"
)

//go:embed testdata/slow/*.sql testdata/bad/*.sql
var testFS embed.FS

var (
	slowMigrations, _ = fs.Sub(testFS, "testdata/slow")
	badMigrations, _  = fs.Sub(testFS, "testdata/bad")
)
