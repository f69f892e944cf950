package main

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// bundleKeyLen is len("v=") plus the 15-character timestamp.
const bundleKeyLen = 2 + 15

// retireBundles deletes every bundle under prefix older than keep (a bundle timestamp), and on
// a bucket that keeps versions every version and delete marker of them, so that nothing sealed
// under an earlier key can be fetched again. Timestamps are fixed-width UTC, so older is
// lexically smaller. Deleting what is already gone succeeds, so a re-run finishes a run that
// failed half way. It returns how many objects (or versions) it deleted.
func (b bucket) retireBundles(ctx context.Context, prefix, keep string) (int, error) {
	older := func(key *string) bool {
		name := strings.TrimPrefix(aws.ToString(key), prefix)
		return len(name) == bundleKeyLen && strings.HasPrefix(name, "v=") && name[2:] < keep
	}
	var victims []types.ObjectIdentifier
	versioned, err := b.versioning(ctx)
	if err != nil {
		return 0, err
	}
	if versioned != "" {
		pages := s3.NewListObjectVersionsPaginator(b.client, &s3.ListObjectVersionsInput{Bucket: &b.name, Prefix: aws.String(prefix + "v=")})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return 0, err
			}
			for _, v := range page.Versions {
				if older(v.Key) {
					victims = append(victims, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
				}
			}
			for _, m := range page.DeleteMarkers {
				if older(m.Key) {
					victims = append(victims, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
				}
			}
		}
	} else {
		keys, err := b.store.ListKeys(ctx, prefix+"v=")
		if err != nil {
			return 0, err
		}
		for _, key := range keys {
			if older(&key) {
				victims = append(victims, types.ObjectIdentifier{Key: aws.String(key)})
			}
		}
	}
	for i, v := range victims {
		if _, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.name, Key: v.Key, VersionId: v.VersionId}); err != nil {
			return i, err
		}
	}
	return len(victims), nil
}

// versioning is the bucket's versioning status: "" for a bucket that never had it, else
// Enabled or Suspended (a suspended bucket still holds the versions made before).
func (b bucket) versioning(ctx context.Context) (types.BucketVersioningStatus, error) {
	out, err := b.client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &b.name})
	if err != nil {
		return "", err
	}
	return out.Status, nil
}
