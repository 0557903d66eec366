/**
 * The ECS SDK symbols the provider uses, re-exported from one module that `client.ts` imports
 * only for `service=ecs`: a namespace `import('@aws-sdk/client-ecs')` would make the build's
 * bundle (scripts/bundle-providers.mjs) keep every ECS command.
 */
export { DescribeTasksCommand, ECSClient, ListClustersCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
