// Package buildinfo holds what the build stamps into the binary with -ldflags -X (see the
// Dockerfile). These are the only package variables the service has: the linker sets them.
package buildinfo

var (
	Version = "dev"
	Commit  = "unknown"
	Date    = "unknown"
)
