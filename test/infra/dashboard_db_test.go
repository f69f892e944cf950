package infra

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/dashboard"
)

// TestDashboardShowsANamedDatabase: with a database named in its props (the seam the database
// construct uses), the dashboard graphs the instance's RDS metrics, and the cross-check finds
// them pointing at the template's DB instance.
func TestDashboardShowsANamedDatabase(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := awscdk.NewStack(app, jsii.String("WithDatabase"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")}})
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(0)})
	lb := elb.NewApplicationLoadBalancer(stack, jsii.String("Lb"), &elb.ApplicationLoadBalancerProps{Vpc: vpc})
	tg := elb.NewApplicationTargetGroup(stack, jsii.String("Tg"), &elb.ApplicationTargetGroupProps{Vpc: vpc, Port: jsii.Number(8080), TargetType: elb.TargetType_IP})
	lb.AddListener(jsii.String("Http"), &elb.BaseApplicationListenerProps{Port: jsii.Number(80), DefaultTargetGroups: &[]elb.IApplicationTargetGroup{tg}})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	task := awsecs.NewFargateTaskDefinition(stack, jsii.String("Task"), nil)
	task.AddContainer(jsii.String("app"), &awsecs.ContainerDefinitionOptions{Image: awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/example/app:1"), nil)})
	svc := awsecs.NewFargateService(stack, jsii.String("Service"), &awsecs.FargateServiceProps{Cluster: cluster, TaskDefinition: task})
	db := awsrds.NewCfnDBInstance(stack, jsii.String("Db"), &awsrds.CfnDBInstanceProps{DbInstanceClass: jsii.String("db.t4g.micro"), Engine: jsii.String("postgres"),
		AllocatedStorage: jsii.String("20"), MasterUsername: jsii.String("keel"), ManageMasterUserPassword: jsii.Bool(true)})
	dashboard.New(stack, "Dashboard", dashboard.Props{Name: "keel-test", LoadBalancer: lb, TargetGroups: []elb.ApplicationTargetGroup{tg},
		Cluster: cluster, Service: svc, Database: &dashboard.Database{InstanceIdentifier: db.Ref()}})

	tp := template(*assertions.Template_FromStack(stack, nil).ToJSON())
	body, err := dashboardBody(get(tp.props(t, "AWS::CloudWatch::Dashboard"), "DashboardBody"))
	if err != nil {
		t.Fatal(err)
	}
	if problems := checkDashboard(body, tp, "", "", false, nil); len(problems) > 0 {
		t.Errorf("widget problems:\n%s", strings.Join(problems, "\n"))
	}
	if !strings.Contains(jsonOf(body), `"AWS/RDS","DatabaseConnections","DBInstanceIdentifier","${Ref:Db}"`) {
		t.Errorf("no database widget on the instance: %s", jsonOf(body))
	}
}
