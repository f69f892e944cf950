package awstest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Region is where the seeded stages live (the settings' default region).
const Region = "eu-west-1"

// ServedGeneration and PublishedGeneration are the seeded vault's generations: the tasks
// serve an older one than the vault holds.
const (
	ServedGeneration    = 2
	PublishedGeneration = 3
)

// Seeded names what Seed created for a stage.
type Seeded struct {
	Stack, Cluster, Service, ServiceARN, ClusterARN, LogGroup, TargetGroupARN string
	Alarms                                                                    []string
	// Now is the time the log events are stamped around.
	Now time.Time
}

// seedTemplate is the part of a stage that moto provisions through CloudFormation: a VPC, the
// target groups of a canary (blue 90 %, green 10 % on the production listener rule) and the
// log group, with the outputs infra/stage/stack.go writes. (moto's
// CloudFormation does not create AWS::CloudWatch::Alarm resources: Seed puts the alarms.)
const seedTemplate = `{
  "Resources": {
    "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
    "Blue": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Name": "%[1]s-blue", "Port": 8080, "Protocol": "HTTP", "TargetType": "ip", "VpcId": {"Ref": "Vpc"}}},
    "Green": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Name": "%[1]s-green", "Port": 8080, "Protocol": "HTTP", "TargetType": "ip", "VpcId": {"Ref": "Vpc"}}},
    "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "eu-west-1a"}},
    "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.2.0/24", "AvailabilityZone": "eu-west-1b"}},
    "Lb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]}},
    "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"LoadBalancerArn": {"Ref": "Lb"}, "Port": 80, "Protocol": "HTTP", "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]}},
    "Production": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {"ListenerArn": {"Ref": "Listener"}, "Priority": 1,
      "Conditions": [{"Field": "path-pattern", "Values": ["/*"]}],
      "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": {"Ref": "Blue"}, "Weight": 90}, {"TargetGroupArn": {"Ref": "Green"}, "Weight": 10}]}}]}},
    "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "%[1]s-app"}}
  },
  "Outputs": {
    "ClusterName": {"Value": "%[1]s-cluster"},
    "ServiceName": {"Value": "%[1]s-service"},
    "LogGroupName": {"Value": {"Ref": "Logs"}},
    "Url": {"Value": "https://%[2]s.example.com"},
    "ProductionRuleArn": {"Value": {"Ref": "Production"}},
    "DeploymentAlarmNames": {"Value": "%[1]s-5xx-rate %[1]s-p99"},
    "BlueTargetGroup": {"Value": {"Ref": "Blue"}}
  }
}`

// Seed deploys a stand-in of stage's service stack into the server through the SDK: the stack
// keel-STAGE with its outputs, the ECS cluster and service (two tasks behind the target group),
// log events in two task streams (a replaced task's and its successor's), and the 5xx alarm
// in ALARM.
func (s *Server) Seed(t *testing.T, stage string) Seeded {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(Region))
	if err != nil {
		t.Fatal(err)
	}
	name := "keel-" + stage
	out := Seeded{Stack: name, Cluster: name + "-cluster", Service: name + "-service", LogGroup: name + "-app",
		Alarms: []string{name + "-5xx-rate", name + "-p99"}, Now: time.Now().UTC()}
	must := func(what string, err error) {
		if err != nil {
			t.Fatalf("seed %s: %s: %v", stage, what, err)
		}
	}
	cfn := cloudformation.NewFromConfig(cfg)
	_, err = cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(fmt.Sprintf(seedTemplate, name, stage))})
	must("create stack", err)
	stacks, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	must("describe stack", err)
	for _, o := range stacks.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) == "BlueTargetGroup" {
			out.TargetGroupARN = aws.ToString(o.OutputValue)
		}
	}

	lb := elb.NewFromConfig(cfg)
	_, err = lb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(out.TargetGroupARN),
		Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.1.10"), Port: aws.Int32(8080)}, {Id: aws.String("10.0.2.10"), Port: aws.Int32(8080)}}})
	must("register targets", err)

	e := ecs.NewFromConfig(cfg)
	cl, err := e.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(out.Cluster)})
	must("create cluster", err)
	out.ClusterARN = aws.ToString(cl.Cluster.ClusterArn)
	_, err = e.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(name + "-app"), RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/cdk-assets:4f1c2e"),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}}}},
	})
	must("register task definition", err)
	svc, err := e.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(out.Cluster), ServiceName: aws.String(out.Service),
		TaskDefinition: aws.String(name + "-app"), DesiredCount: aws.Int32(2), LaunchType: ecstypes.LaunchTypeFargate,
		LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(out.TargetGroupARN), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}})
	must("create service", err)
	out.ServiceARN = aws.ToString(svc.Service.ServiceArn)

	logs := cloudwatchlogs.NewFromConfig(cfg)
	for i, stream := range []string{"app/app/task-old", "app/app/task-new"} {
		_, err = logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(out.LogGroup), LogStreamName: aws.String(stream)})
		must("create log stream", err)
		_, err = logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(out.LogGroup), LogStreamName: aws.String(stream),
			LogEvents: seedEvents(out.Now.Add(time.Duration(i-2)*time.Minute), stream)})
		must("put log events", err)
	}

	// Both tasks opened vault generation 2 after the deployment started; 3 is published.
	for _, stream := range []string{"app/app/task-old", "app/app/task-new"} {
		now := time.Now().UTC()
		_, err = logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(out.LogGroup), LogStreamName: aws.String(stream),
			LogEvents: []logtypes.InputLogEvent{{Timestamp: aws.Int64(now.UnixMilli()), Message: aws.String(fmt.Sprintf(`{"time":"%s","level":"INFO","msg":"vault opened","version":"v3","gen":%d}`, now.Format(time.RFC3339Nano), ServedGeneration))}}})
		must("put log events", err)
	}
	s.seedVault(t, ctx, cfg, stage)

	cw := cloudwatch.NewFromConfig(cfg)
	for _, alarm := range out.Alarms {
		_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(alarm), Namespace: aws.String("AWS/ApplicationELB"),
			MetricName: aws.String("HTTPCode_Target_5XX_Count"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
			Threshold: aws.Float64(5), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold})
		must("put alarm", err)
	}
	_, err = cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(out.Alarms[0]), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("Threshold Crossed: 1 datapoint [9.0] was greater than the threshold (5.0).")})
	must("set alarm state", err)
	return out
}

// seedEvents are the service's JSON log lines (app/internal/httpapi's request log and an error).
func seedEvents(at time.Time, stream string) []logtypes.InputLogEvent {
	ms := func(d time.Duration) *int64 { return aws.Int64(at.Add(d).UnixMilli()) }
	return []logtypes.InputLogEvent{
		{Timestamp: ms(0), Message: aws.String(fmt.Sprintf(`{"time":"%s","level":"INFO","msg":"request","request_id":"req-%s-1","method":"GET","path":"/api/v1/items","status":200,"duration_ms":3.2}`, at.Format(time.RFC3339Nano), stream[len(stream)-3:]))},
		{Timestamp: ms(time.Second), Message: aws.String(fmt.Sprintf(`{"time":"%s","level":"ERROR","msg":"vault refresh failed","error":"s3: timeout","request_id":"req-%s-2"}`, at.Add(time.Second).Format(time.RFC3339Nano), stream[len(stream)-3:]))},
		{Timestamp: ms(2 * time.Second), Message: aws.String("plain text line from " + stream)},
	}
}
