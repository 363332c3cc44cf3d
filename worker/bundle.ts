import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export const WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows', 'index.ts');
/** Registered on every workflow: the lifecycle run counters (issue 11). */
export const INTERCEPTORS_PATH = path.join(__dirname, '..', 'workflows', 'run-metrics.ts');
export const BUNDLE_PATH = path.join(__dirname, '..', 'dist', 'workflow-bundle.js');

export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [INTERCEPTORS_PATH],
    logger: new DefaultLogger('WARN'),
  });
}
