"""Internal work the enforcer obeys: signed by the actions function, sent by nobody else.

Slack buttons defer slow work (restore an exempted permission, re-apply a revocation) to the
enforcer's queue. Two locks keep anyone else from ordering it (issue 18):

- a key in Secrets Manager (generated, never in the template or an environment variable:
  the functions get its ARN) with which the actions function signs each work envelope and
  the enforcer verifies it (``govbot.enforcer.work``);
- the queue's policy denies ``sqs:SendMessage`` to every principal but EventBridge (whose
  sends the rule-ARN condition of ``worker.admit_only_rules`` already scopes) and the
  actions function's role.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from govbot.slack_secrets import WORK_SIGNING_SECRET_NAME
from infra.constructs.function import GovbotFunction
from infra.nag import acknowledge

WORK_KEY_ENV = "WORK_SIGNING_SECRET_ARN"
ONLY_SENDERS_SID = "OnlyEventBridgeAndTheActionsRoleMaySend"


class WorkSigning(Construct):
    """The work-signing key, read by the signer and the verifier; the queue's senders."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        queue: sqs.IQueue,
        signer: GovbotFunction,
        verifier: GovbotFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "WorkSigningKey",
            secret_name=WORK_SIGNING_SECRET_NAME,
            description="govbot: HMAC key signing deferred work (actions -> enforcer queue)",
            encryption_key=key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "Both functions cache the key for at most 5 minutes; an operator rotates it by "
            "putting a new random value (work signed with the old key in the meantime is "
            "refused and recorded, and the approver clicks again).",
        )
        for function in (signer, verifier):
            # Exactly the declared call (govbot.iam: GetSecretValue on kind "work-secret");
            # the stack's key already decrypts for both roles.
            function.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["secretsmanager:GetSecretValue"], resources=[self.secret.secret_arn]
                )
            )
            function.function.add_environment(WORK_KEY_ENV, self.secret.secret_arn)
        admit_only_senders(queue, signer.role)


def admit_only_senders(queue: sqs.IQueue, sender: iam.IRole) -> None:
    """Deny ``sqs:SendMessage`` on ``queue`` to all but EventBridge and ``sender``."""
    queue.add_to_resource_policy(
        iam.PolicyStatement(
            sid=ONLY_SENDERS_SID,
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
            conditions={
                # Both must hold to deny: not the actions role, and not a service principal
                # call by EventBridge (absent for IAM principals, so they are denied).
                "ArnNotEquals": {"aws:PrincipalArn": sender.role_arn},
                "StringNotEquals": {"aws:PrincipalServiceName": "events.amazonaws.com"},
            },
        )
    )
