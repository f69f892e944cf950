package main

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestExpiresNoncurrent(t *testing.T) {
	expire := &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(7)}
	rule := func(f *types.LifecycleRuleFilter, status types.ExpirationStatus, e *types.NoncurrentVersionExpiration) types.LifecycleRule {
		return types.LifecycleRule{Filter: f, Status: status, NoncurrentVersionExpiration: e}
	}
	on := types.ExpirationStatusEnabled
	for name, tc := range map[string]struct {
		rules []types.LifecycleRule
		want  bool
	}{
		"no rules":              {nil, false},
		"whole bucket":          {[]types.LifecycleRule{rule(&types.LifecycleRuleFilter{Prefix: aws.String("")}, on, expire)}, true},
		"no filter":             {[]types.LifecycleRule{rule(nil, on, expire)}, true},
		"parent prefix":         {[]types.LifecycleRule{rule(&types.LifecycleRuleFilter{Prefix: aws.String("keel/")}, on, expire)}, true},
		"and with prefix only":  {[]types.LifecycleRule{rule(&types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("keel/prod/")}}, on, expire)}, true},
		"other prefix":          {[]types.LifecycleRule{rule(&types.LifecycleRuleFilter{Prefix: aws.String("keel/dev/")}, on, expire)}, false},
		"disabled":              {[]types.LifecycleRule{rule(nil, types.ExpirationStatusDisabled, expire)}, false},
		"current versions only": {[]types.LifecycleRule{rule(nil, on, nil)}, false},
		"narrowed by a tag":     {[]types.LifecycleRule{rule(&types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("k"), Value: aws.String("v")}}, on, expire)}, false},
		"narrowed by size":      {[]types.LifecycleRule{rule(&types.LifecycleRuleFilter{ObjectSizeGreaterThan: aws.Int64(1 << 20)}, on, expire)}, false},
		"and narrowed by tags":  {[]types.LifecycleRule{rule(&types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Tags: []types.Tag{{Key: aws.String("k")}}}}, on, expire)}, false},
		"second rule covers":    {[]types.LifecycleRule{rule(nil, types.ExpirationStatusDisabled, expire), rule(nil, on, expire)}, true},
	} {
		if got := expiresNoncurrent(tc.rules, "keel/prod/"); got != tc.want {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
}
