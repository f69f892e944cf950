// Package vsync reads the vsync runtime layout, an encrypted bundle in S3 unlocked by a config
// token and a passphrase, wire-compatible with github.com/muthuishere/vsync/libraries/go and
// with its API; its writer serves keel's tools and tests.
package vsync
