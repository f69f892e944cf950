package vsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

const (
	// s3Attempts bounds retries explicitly: the SDK default would also be 3, but a reader
	// should not depend on an SDK default for its worst-case boot time.
	s3Attempts   = 3
	s3MaxBackoff = 400 * time.Millisecond
	// s3AttemptTimeout caps one attempt when the caller's ctx has no deadline.
	s3AttemptTimeout = 15 * time.Second
)

// S3Store reads and writes the vault objects of one bucket.
type S3Store struct {
	client *s3.Client
	bucket string
}

// NewS3Store wraps an S3 client (for example one built by NewS3Client with write credentials).
func NewS3Store(client *s3.Client, bucket string) *S3Store {
	return &S3Store{client: client, bucket: bucket}
}

// NewS3Fetcher is the reader's default: the config's endpoint, region and static key,
// path-style addressing, bounded retries; optFns adjust the client's options last.
func NewS3Fetcher(cfg Config, optFns ...func(*s3.Options)) *S3Store {
	creds := credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")
	return NewS3Store(NewS3Client(cfg.Endpoint, cfg.Region, creds, optFns...), cfg.Bucket)
}

// NewS3Client builds the S3 client vsync uses: path-style (as every upstream reader), an
// explicit endpoint when given, checksums only where S3 requires them (S3-compatible servers
// vary in their support of the newer defaults), and bounded retries. optFns adjust the
// options last (tests shorten the per-attempt timeout with them).
func NewS3Client(endpoint, region string, creds aws.CredentialsProvider, optFns ...func(*s3.Options)) *s3.Client {
	opts := s3.Options{
		Region:                     region,
		Credentials:                creds,
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		HTTPClient:                 awshttp.NewBuildableClient().WithTimeout(s3AttemptTimeout),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = s3Attempts
			o.MaxBackoff = s3MaxBackoff
		}),
	}
	if endpoint != "" {
		opts.BaseEndpoint = aws.String(endpoint)
	}
	return s3.New(opts, optFns...)
}

// Fetch implements Fetcher.
func (s *S3Store) Fetch(ctx context.Context, key string) ([]byte, error) {
	b, _, err := s.GetObject(ctx, key)
	return b, err
}

// FetchLimited is Fetch that refuses, without reading it, an object larger than limit bytes.
func (s *S3Store) FetchLimited(ctx context.Context, key string, limit int64) ([]byte, error) {
	b, _, err := s.getObject(ctx, key, limit)
	return b, err
}

// GetObject returns the object and its ETag. Objects larger than the largest bundle a
// vault can have are refused unread.
func (s *S3Store) GetObject(ctx context.Context, key string) ([]byte, string, error) {
	return s.getObject(ctx, key, maxBundle)
}

func (s *S3Store) getObject(ctx context.Context, key string, limit int64) ([]byte, string, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return nil, "", classifyS3(err)
	}
	defer out.Body.Close()
	if n := aws.ToInt64(out.ContentLength); n > limit {
		return nil, "", tooLarge(key, n, limit)
	}
	b, err := io.ReadAll(io.LimitReader(out.Body, limit+1))
	if err != nil {
		return nil, "", fmt.Errorf("read s3://%s/%s: %w", s.bucket, key, err)
	}
	if int64(len(b)) > limit {
		return nil, "", tooLarge(key, int64(len(b)), limit)
	}
	return b, aws.ToString(out.ETag), nil
}

func tooLarge(key string, size, limit int64) error {
	return fmt.Errorf("%w: %s is %d bytes or more, over the %d-byte bound for it", ErrBundleCorrupt, key, size, limit)
}

// PutObject writes body at key under cond; a condition that does not hold is
// ErrPreconditionFailed.
func (s *S3Store) PutObject(ctx context.Context, key string, body []byte, cond Condition) error {
	in := &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           &key,
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String("application/octet-stream"),
	}
	if cond.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	if cond.IfMatch != "" {
		in.IfMatch = aws.String(cond.IfMatch)
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return classifyS3(err)
	}
	return nil
}

// DeleteObject removes key (used to clean up a bundle that lost a publish race).
func (s *S3Store) DeleteObject(ctx context.Context, key string) error {
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key}); err != nil {
		return classifyS3(err)
	}
	return nil
}

// ListKeys lists the keys under prefix (every page).
func (s *S3Store) ListKeys(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classifyS3(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// classifyS3 keeps upstream's rule: only these codes mean "not found"; NoSuchBucket and 403
// stay generic (the reader turns them into ErrS3Unreachable).
func classifyS3(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound", "404":
			return fmt.Errorf("%w: %w", ErrObjectNotFound, err)
		case "PreconditionFailed", "ConditionalRequestConflict":
			return fmt.Errorf("%w: %w", ErrPreconditionFailed, err)
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusPreconditionFailed {
		return fmt.Errorf("%w: %w", ErrPreconditionFailed, err)
	}
	return err
}
