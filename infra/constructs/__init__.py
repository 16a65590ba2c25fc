"""One CDK construct per govbot capability, composed by :mod:`infra.stack`."""
