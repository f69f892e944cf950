package vsync

import (
	"fmt"
	"maps"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Option configures Open and OpenWith.
type Option func(*options)

type options struct {
	defaults  map[string]string
	fetcher   Fetcher
	lookupEnv func(string) (string, bool)
	warn      func(msg string)
	s3Options []func(*s3.Options)
}

func newOptions(opts []Option) *options {
	o := &options{
		lookupEnv: os.LookupEnv,
		warn:      func(msg string) { fmt.Fprintln(os.Stderr, msg) },
	}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithDefaults sets the last tier of the fallback chain (vault, process env, defaults). The map
// is copied.
func WithDefaults(defaults map[string]string) Option {
	return func(o *options) { o.defaults = maps.Clone(defaults) }
}

// WithFetcher replaces the S3 client built from the config.
func WithFetcher(f Fetcher) Option {
	return func(o *options) { o.fetcher = f }
}

// WithEnv replaces os.LookupEnv, both for the bootstrap inputs and for the env tier of the
// fallback chain. An extension over upstream, which always reads the process environment.
func WithEnv(lookup func(string) (string, bool)) Option {
	return func(o *options) { o.lookupEnv = lookup }
}

// WithWarnings receives the warnings upstream writes to stderr (a _FILE readable by group or
// others). An extension over upstream. The messages carry paths and modes, never values.
func WithWarnings(warn func(msg string)) Option {
	return func(o *options) { o.warn = warn }
}

// WithS3Options adjusts the S3 client built from the config (not one given by WithFetcher):
// the service adds its tracing middleware with it. An extension over upstream.
func WithS3Options(fns ...func(*s3.Options)) Option {
	return func(o *options) { o.s3Options = append(o.s3Options, fns...) }
}
