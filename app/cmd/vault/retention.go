package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// retentionWarning is a warning when the bucket can be seen to keep old object versions under
// prefix with no lifecycle rule expiring them: a bundle deleted or overwritten there stays
// readable, with the passphrase it was sealed with, for as long as the bucket exists. It is ""
// when versions are not kept, when a rule expires them, or when the caller may not look.
func (b bucket) retentionWarning(ctx context.Context, prefix string) string {
	status, err := b.versioning(ctx)
	if err != nil || status == "" {
		return ""
	}
	out, err := b.client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &b.name})
	var rules []types.LifecycleRule
	var ae smithy.APIError
	switch {
	case err == nil:
		rules = out.Rules
	// No configuration, or a server without lifecycle support (versitygw answers 501): either
	// way no rule expires anything.
	case errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchLifecycleConfiguration" || ae.ErrorCode() == "NotImplemented"):
	default:
		return "" // not allowed to read it (s3:GetLifecycleConfiguration): nothing seen
	}
	if expiresNoncurrent(rules, prefix) {
		return ""
	}
	return fmt.Sprintf("bucket %s keeps old object versions (versioning %s) and no enabled lifecycle rule expires noncurrent versions under %s: "+
		"a bundle overwritten or deleted there stays readable with the passphrase it was sealed with; "+
		"add the NoncurrentVersionExpiration rule of docs/runbooks.md (One-time setup)", b.name, status, prefix)
}

// expiresNoncurrent reports whether an enabled rule expires noncurrent versions of every object
// under prefix. A rule narrowed by tags or object size does not cover every object; S3 applies
// a rule to the keys its filter prefix begins (an empty or absent filter covers the bucket).
func expiresNoncurrent(rules []types.LifecycleRule, prefix string) bool {
	for _, r := range rules {
		if r.Status != types.ExpirationStatusEnabled || r.NoncurrentVersionExpiration == nil {
			continue
		}
		rulePrefix, ok := wholePrefix(r)
		if ok && strings.HasPrefix(prefix, rulePrefix) {
			return true
		}
	}
	return false
}

// wholePrefix is the key prefix a rule applies to, and false when it also filters on tags or
// size.
func wholePrefix(r types.LifecycleRule) (string, bool) {
	f := r.Filter
	if f == nil {
		return deref(r.Prefix), true //nolint:staticcheck // the deprecated rule-level Prefix is still what older configurations hold
	}
	if f.Tag != nil || f.ObjectSizeGreaterThan != nil || f.ObjectSizeLessThan != nil {
		return "", false
	}
	if a := f.And; a != nil {
		if len(a.Tags) > 0 || a.ObjectSizeGreaterThan != nil || a.ObjectSizeLessThan != nil {
			return "", false
		}
		return deref(a.Prefix), true
	}
	return deref(f.Prefix), true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
