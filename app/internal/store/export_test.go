package store

import (
	"embed"
	"io/fs"
)

//go:embed testdata/slow/*.sql
var slowFS embed.FS

var slowMigrations, _ = fs.Sub(slowFS, "testdata/slow")
