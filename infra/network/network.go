// Package network provides the VPC a service runs in: a new one with public, private and
// (for a database) isolated subnets across explicit availability zones, or an existing one
// named by its IDs.
package network

import (
	"errors"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/internal/cdkconv"
)

// Props describes the VPC. With VpcID set, the VPC is imported from the IDs alone: no lookup,
// so synth needs no AWS credentials.
type Props struct {
	AvailabilityZones []string
	NatGateways       int
	// PublicTasks puts tasks in public subnets with public IPs (no NAT needed).
	PublicTasks bool

	VpcID            string
	PublicSubnetIDs  []string
	PrivateSubnetIDs []string

	// Isolated adds subnets with no route out of the VPC (no NAT, no internet gateway) for a
	// database; IsolatedSubnetIDs names them in an imported VPC.
	Isolated          bool
	IsolatedSubnetIDs []string

	// FlowLogs, when set, receives the rejected-traffic flow log of a new VPC.
	FlowLogs awslogs.ILogGroup
}

func (p Props) validate() error {
	switch {
	case len(p.AvailabilityZones) < 2:
		return errors.New("network: at least 2 availability zones are required")
	case p.VpcID == "" && p.NatGateways == 0 && !p.PublicTasks:
		return errors.New("network: private tasks need NAT gateways")
	case p.VpcID != "" && len(p.PublicSubnetIDs) == 0:
		return errors.New("network: an imported VPC needs public subnet IDs for the load balancer")
	case p.VpcID != "" && p.Isolated && len(p.IsolatedSubnetIDs) == 0:
		return errors.New("network: an imported VPC needs isolated subnet IDs for the database")
	case !p.Isolated && len(p.IsolatedSubnetIDs) > 0:
		return errors.New("network: isolated subnet IDs are given but Isolated is off")
	}
	return nil
}

// Network is the VPC plus where the tasks go in it.
type Network struct {
	constructs.Construct
	Vpc            awsec2.IVpc
	TaskSubnets    *awsec2.SubnetSelection
	AssignPublicIP bool
	// DatabaseSubnets are the isolated subnets; nil without Isolated.
	DatabaseSubnets *awsec2.SubnetSelection
}

func New(scope constructs.Construct, id string, props Props) *Network {
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	n := &Network{Construct: c, AssignPublicIP: props.PublicTasks}
	if props.VpcID != "" {
		n.Vpc = awsec2.Vpc_FromVpcAttributes(c, jsii.String("Vpc"), &awsec2.VpcAttributes{
			VpcId:             jsii.String(props.VpcID),
			AvailabilityZones: jsii.Strings(props.AvailabilityZones...),
			PublicSubnetIds:   jsii.Strings(props.PublicSubnetIDs...),
			PrivateSubnetIds:  cdkconv.Strings(props.PrivateSubnetIDs),
			IsolatedSubnetIds: cdkconv.Strings(props.IsolatedSubnetIDs),
		})
	} else {
		n.Vpc = newVpc(c, props)
	}
	subnetType := awsec2.SubnetType_PRIVATE_WITH_EGRESS
	if props.PublicTasks {
		subnetType = awsec2.SubnetType_PUBLIC
	}
	n.TaskSubnets = &awsec2.SubnetSelection{SubnetType: subnetType}
	if props.Isolated {
		n.DatabaseSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
	}
	return n
}

func newVpc(scope constructs.Construct, props Props) awsec2.Vpc {
	// No subnet hands out public addresses by itself (CT.EC2.PR.11): the load balancer and
	// NAT gateways bring their own, and public tasks get theirs from the service's network
	// configuration (AssignPublicIP).
	subnets := []*awsec2.SubnetConfiguration{{
		Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24), MapPublicIpOnLaunch: jsii.Bool(false),
	}}
	if props.NatGateways > 0 {
		subnets = append(subnets, &awsec2.SubnetConfiguration{
			Name: jsii.String("private"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(20),
		})
	}
	// Last, so that the other groups keep the address ranges they had without a database.
	if props.Isolated {
		subnets = append(subnets, &awsec2.SubnetConfiguration{
			Name: jsii.String("isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24),
		})
	}
	vpc := awsec2.NewVpc(scope, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses:         awsec2.IpAddresses_Cidr(jsii.String("10.0.0.0/16")),
		AvailabilityZones:   jsii.Strings(props.AvailabilityZones...),
		NatGateways:         cdkconv.Int(props.NatGateways),
		SubnetConfiguration: &subnets,
	})
	if props.FlowLogs != nil {
		vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
			Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(props.FlowLogs, nil),
			TrafficType: awsec2.FlowLogTrafficType_REJECT,
		})
	}
	return vpc
}
