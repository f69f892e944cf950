package stage

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/keelstack/keel/infra/dashboard"
	"github.com/keelstack/keel/infra/database"
	"github.com/keelstack/keel/infra/delivery"
	"github.com/keelstack/keel/infra/ingress"
	"github.com/keelstack/keel/infra/service"
	"github.com/keelstack/keel/infra/settings"
)

// newDashboard builds the stage's dashboard. Call it once every other construct of the
// stack exists: it shows every alarm the stack holds at that point, whoever created it.
func newDashboard(stack awscdk.Stack, s settings.Stage, in *ingress.Ingress, dl *delivery.Delivery, svc *service.Service, db *dashboard.Database) *dashboard.Dashboard {
	groups := []elb.ApplicationTargetGroup{in.TargetGroup}
	if alt := alternateTargetGroup(dl); alt != nil {
		groups = append(groups, alt)
	}
	p := dashboard.Props{
		Name:              StackName(s.Name),
		LoadBalancer:      in.LoadBalancer,
		TargetGroups:      groups,
		Cluster:           svc.Cluster,
		Service:           svc.Service,
		ContainerInsights: s.Task.ContainerInsights,
		Alarms:            stackAlarms(stack),
		Database:          db,
	}
	if s.Telemetry.MetricsIntervalSeconds > 0 {
		p.MetricsNamespace, p.ServiceName = MetricsNamespace, ServiceName(s.Name)
	}
	return dashboard.New(stack, "Dashboard", p)
}

// stackAlarms finds every CloudWatch alarm in the stack, in construct order.
func stackAlarms(stack awscdk.Stack) []cw.IAlarm {
	var out []cw.IAlarm
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if a, ok := c.(cw.Alarm); ok {
			out = append(out, a)
		}
	}
	return out
}

// dashboardDatabase names the stage's database for the dashboard's RDS widgets, by the
// dimension its metrics are keyed by; nil for a stage without one.
func dashboardDatabase(db *database.Database) *dashboard.Database {
	if db == nil {
		return nil
	}
	id := db.Resource.Ref() // the DBInstance's or DBCluster's Ref is its identifier
	if db.MetricDimension == "DBClusterIdentifier" {
		return &dashboard.Database{ClusterIdentifier: id}
	}
	return &dashboard.Database{InstanceIdentifier: id}
}
