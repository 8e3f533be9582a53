"""Print the pinned MLflow server's GraphQL schema (SDL).

Run with the pinned MLflow's python (.venv/mlflow/bin/python); the output is
schema.graphql beside this file, which mlflowgql embeds to validate every
document before ml_studio authorizes it. TestSchemaMatchesPinnedMLflow runs
this script again and compares, so an MLflow bump shows every changed field.
"""

import sys

from graphql import print_schema

from mlflow.server.graphql.graphql_schema_extensions import schema


def main():
    sys.stdout.write(print_schema(schema.graphql_schema))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
