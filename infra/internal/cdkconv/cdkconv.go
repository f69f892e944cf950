// Package cdkconv converts Go values to the pointer-heavy forms the CDK's jsii bindings take.
package cdkconv

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// Seconds is d as a CDK Duration, in whole seconds.
func Seconds(d time.Duration) awscdk.Duration {
	return awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
}

// Minutes is d as a CDK Duration, in whole minutes (ECS's bake times are minutes).
func Minutes(d time.Duration) awscdk.Duration {
	return awscdk.Duration_Minutes(jsii.Number(d.Minutes()))
}

// Strings is s as a jsii string list, or nil (the property left out) when s is empty.
func Strings(s []string) *[]*string {
	if len(s) == 0 {
		return nil
	}
	return jsii.Strings(s...)
}

// Int is n as a jsii number.
func Int(n int) *float64 { return jsii.Number(float64(n)) }
