// Package dashboard provides a stage's CloudWatch dashboard: traffic and errors at the load
// balancer and per target group, response times, target health, tasks, CPU and memory, every
// alarm of the stage, the service's own EMF metrics, and the database's when there is one.
package dashboard

import (
	"errors"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Props are the resources the dashboard shows.
type Props struct {
	// Name is the dashboard's name (unique in the account and region).
	Name         string
	LoadBalancer elb.ApplicationLoadBalancer
	// TargetGroups are the production group and, with a progressive strategy, the alternate:
	// during a canary or linear shift both carry traffic.
	TargetGroups []elb.ApplicationTargetGroup
	Cluster      awsecs.ICluster
	Service      awsecs.FargateService
	// ContainerInsights says whether the cluster publishes task counts (ECS/ContainerInsights).
	ContainerInsights bool
	// Alarms are shown as alarm widgets, each with its threshold.
	Alarms []cw.IAlarm
	// MetricsNamespace and ServiceName are where the service's EMF metrics are: the namespace
	// and the Service dimension's value. Empty MetricsNamespace: the service writes none.
	MetricsNamespace, ServiceName string
	// Database, when set, adds the database's metrics.
	Database *Database
}

// Database names a database by its identifier: an RDS instance (DBInstanceIdentifier) or an
// Aurora cluster (DBClusterIdentifier).
type Database struct {
	InstanceIdentifier *string
	ClusterIdentifier  *string
}

func (p Props) validate() error {
	switch {
	case p.Name == "" || p.LoadBalancer == nil || len(p.TargetGroups) == 0 || p.Cluster == nil || p.Service == nil:
		return errors.New("dashboard: Name, LoadBalancer, TargetGroups, Cluster and Service are required")
	case p.MetricsNamespace != "" && p.ServiceName == "":
		return errors.New("dashboard: the service's metrics need its ServiceName (the Service dimension)")
	case p.Database != nil && (p.Database.InstanceIdentifier == nil) == (p.Database.ClusterIdentifier == nil):
		return errors.New("dashboard: a Database names either its InstanceIdentifier or its ClusterIdentifier")
	}
	return nil
}

// Dashboard is the construct; URL opens it in the console.
type Dashboard struct {
	constructs.Construct
	Dashboard cw.Dashboard
	URL       *string
}

// New builds the dashboard from the widget list (widgets.go).
func New(scope constructs.Construct, id string, props Props) *Dashboard {
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	var rows []*[]cw.IWidget
	for _, row := range rowsOf(props) {
		var ws []cw.IWidget
		for _, w := range row {
			ws = append(ws, w.build())
		}
		rows = append(rows, &ws)
	}
	d := cw.NewDashboard(c, jsii.String("Dashboard"), &cw.DashboardProps{
		DashboardName:   jsii.String(props.Name),
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
		Widgets:         &rows,
	})
	region := awscdk.Stack_Of(c).Region()
	url := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://"), region, jsii.String(".console.aws.amazon.com/cloudwatch/home?region="), region,
		jsii.String(fmt.Sprintf("#dashboards/dashboard/%s", props.Name)),
	})
	return &Dashboard{Construct: c, Dashboard: d, URL: url}
}
