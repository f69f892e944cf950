package stage

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// dropRedundantDependsOn keeps r's DependsOn free of the resources it already references in
// its properties: CloudFormation creates a resource after every resource it Refs or GetAtts
// (template reference, DependsOn attribute), so such an entry adds nothing and cfn-lint
// warns about it (W3005). CDK adds some of them itself (a service depends on every listener
// rule its target group is attached through), and only while it prepares the app, so the
// list is computed when the template is rendered, from what CDK collected by then.
func dropRedundantDependsOn(r awscdk.CfnResource, referenced ...awscdk.CfnResource) {
	r.AddOverride(jsii.String("DependsOn"), awscdk.Lazy_Any(&dependsOn{r, referenced}, nil))
}

type dependsOn struct {
	resource   awscdk.CfnResource
	referenced []awscdk.CfnResource
}

// Produce returns the logical IDs of the remaining dependencies in CDK's order (by
// construct path), or nil, which drops the attribute.
func (d *dependsOn) Produce() any {
	var keep []awscdk.CfnResource
	for _, dep := range *d.resource.ObtainDependencies() {
		r, ok := dep.(awscdk.CfnResource)
		if !ok || slices.ContainsFunc(d.referenced, func(x awscdk.CfnResource) bool { return *x.Node().Path() == *r.Node().Path() }) {
			continue
		}
		keep = append(keep, r)
	}
	if len(keep) == 0 {
		return nil
	}
	slices.SortFunc(keep, func(a, b awscdk.CfnResource) int { return strings.Compare(*a.Node().Path(), *b.Node().Path()) })
	ids := make([]*string, len(keep))
	for i, r := range keep {
		ids[i] = r.LogicalId()
	}
	return ids
}
