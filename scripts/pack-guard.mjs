#!/usr/bin/env node
// `prepack` of every package: only `pnpm pack` / `pnpm publish` replace the
// `workspace:*` dependency ranges; a tarball from `npm pack` would keep them
// and fail to install anywhere. Refuse it with the command to use instead.
const agent = process.env.npm_config_user_agent ?? '';
if (!agent.startsWith('pnpm/')) {
  console.error('Pack and publish these packages with pnpm (`npx -y pnpm@10.34.9 pack`): it replaces workspace:* ranges, npm does not.');
  process.exit(1);
}
