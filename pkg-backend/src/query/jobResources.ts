/**
 * The jobs resources: list, show, reset and delete persisted detection jobs (common/resources.ts). Without a
 * state store there is nothing to manage: the list says why with 200 (the Jobs page shows the advice), the
 * others answer 409 with it.
 */
import { JOB_KEY_PATTERN, type JobList } from '../../../common/resources.ts';
import type { JobStateHandle, RequestContext, ResourceRequest, ResourceResponse } from './contract.ts';
import { summariseJob } from './jobSummary.ts';

const NOT_PERSISTED: JobStateHandle = {
  persisted: false,
  reason: 'this datasource has no state store',
  advice: 'results are not persisted',
};

const notAllowed = (method: string, path: string, allow: string[]): ResourceResponse => ({
  status: 405,
  headers: { Allow: allow },
  body: { message: `${method} is not allowed on ${path}; use ${allow.join(' or ')}` },
});

/** `parts` is the path split on "/" after "jobs". */
export async function jobsResource(
  ctx: RequestContext,
  req: ResourceRequest,
  parts: string[],
): Promise<ResourceResponse> {
  const method = req.method.toUpperCase();
  const path = ['jobs', ...parts].join('/');
  const [key, action, ...rest] = parts;
  if (key === undefined) {
    if (method !== 'GET') {
      return notAllowed(method, path, ['GET']);
    }
  } else {
    if (!JOB_KEY_PATTERN.test(key) || rest.length > 0 || (action !== undefined && action !== 'reset')) {
      return {
        status: 404,
        body: {
          message: `unknown resource "${path}"; use jobs, jobs/<key> or jobs/<key>/reset (a key is 16 hex digits)`,
        },
      };
    }
    const allow = action === 'reset' ? ['POST'] : ['GET', 'DELETE'];
    if (!allow.includes(method)) {
      return notAllowed(method, path, allow);
    }
  }
  const handle = ctx.instance.state ? await ctx.instance.state() : NOT_PERSISTED;
  if (!handle.persisted) {
    if (key === undefined) {
      const body: JobList = { persisted: false, advice: handle.advice };
      return { status: 200, body };
    }
    return { status: 409, body: { message: handle.advice, persisted: false, advice: handle.advice } };
  }
  const { store } = handle;
  if (key === undefined) {
    const body: JobList = {
      persisted: true,
      schema: handle.schema,
      jobs: (await store.listJobs()).map((j) => summariseJob(j)),
    };
    return { status: 200, body };
  }
  const missing = (): ResourceResponse => ({ status: 404, body: { message: `job ${key} does not exist` } });
  if (method === 'DELETE') {
    return (await store.deleteJob(key)) ? { status: 200, body: { deleted: key } } : missing();
  }
  if (action === 'reset') {
    if (!(await store.getJob(key))) {
      return missing();
    }
    await store.resetJob(key);
  }
  const job = await store.getJob(key);
  return job ? { status: 200, body: summariseJob(job) } : missing();
}
