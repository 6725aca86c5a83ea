import { z } from 'zod';
import { accessSchema } from './access';
import { ConfigProblem, region, SLUG_PATTERN, text } from './common';
import type { EstateConfig } from './estate-config';

/** The organization: its name, regions, management and identity accounts, who runs detective controls, and tags. */

const TAG_KEY_PATTERN = /^[A-Za-z0-9 _.:/=+@-]{1,128}$/;

/**
 * Who owns GuardDuty, AWS Config and Security Hub in the environment accounts.
 * Each allows one detector, recorder and hub per account and region; under
 * Control Tower or a landing zone they already exist (often run by a delegated
 * administrator), and creating them again fails the Foundation stack.
 */
export const DETECTIVE_CONTROL_SOURCES = ['estate', 'organization'] as const;
const detectiveControlsSchema = z
  .strictObject({
    source: z
      .enum(DETECTIVE_CONTROL_SOURCES, { error: `must be one of ${DETECTIVE_CONTROL_SOURCES.join(', ')}` })
      .describe(
        'estate: the Foundation stacks create them; organization: they exist already and the estate only wires its alerts',
      ),
    administratorAccount: text(/^\d{12}$/, 'must be the 12-digit ID of the delegated administrator account, quoted')
      .optional()
      .describe('With source organization: the account that administers them (named in the evidence)'),
  })
  .default({ source: 'estate' });

export const organizationSchema = z.strictObject(
  {
    name: text(
      SLUG_PATTERN,
      'must be 3-32 lower-case letters, digits or hyphens, starting with a letter (it prefixes names)',
    ),
    homeRegion: region,
    allowedRegions: z
      .array(region, { error: 'must be a list of AWS region codes' })
      .min(1, { error: 'must list at least one region' }),
    managementAccount: text(/^\d{12}$/, "must be the 12-digit ID of the organization's management account, quoted")
      .optional()
      .describe('Where the organization stack (OUs, SCPs) is deployed; without it, no organization stack is built'),
    rootId: text(/^r-[0-9a-z]{4,32}$/, 'must be the organization root ID, such as r-ab12').optional(),
    identityAccount: text(/^\d{12}$/, 'must be the 12-digit ID of the account people sign in to, quoted')
      .optional()
      .describe(
        'Account people sign in from: the persona and break-glass roles trust the principals organization.access names there; default: each environment account itself',
      ),
    breakGlassRoleName: text(
      /^[\w+=,.@-]{1,64}$/,
      'must be an IAM role name (1-64 letters, digits and +=,.@_-)',
    ).default('estate-break-glass'),
    detectiveControls: detectiveControlsSchema,
    access: accessSchema,
  },
  { error: 'must be a mapping with name, homeRegion and allowedRegions' },
);

export const tagsSchema = z
  .record(
    z.string().regex(TAG_KEY_PATTERN, { error: 'tag keys are 1-128 letters, digits, spaces and _.:/=+-@' }),
    z.string().max(256, { error: 'tag values are at most 256 characters' }),
  )
  .default({});

/**
 * Cross-field rules of the organization: regions listed once, the home region allowed, management account with root ID.
 */
export function checkOrganizationRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { organization } = config;
  const allowed = new Set(organization.allowedRegions);

  organization.allowedRegions.forEach((r, i) => {
    if (organization.allowedRegions.indexOf(r) !== i) {
      problems.push({ path: `organization.allowedRegions[${i}]`, value: r, message: 'is listed twice' });
    }
  });
  if ((organization.managementAccount === undefined) !== (organization.rootId === undefined)) {
    problems.push({
      path: organization.managementAccount === undefined ? 'organization.managementAccount' : 'organization.rootId',
      message: 'is required when the other of managementAccount and rootId is given: the organization stack needs both',
    });
  }
  if (!allowed.has(organization.homeRegion)) {
    problems.push({
      path: 'organization.homeRegion',
      value: organization.homeRegion,
      message: `must be one of organization.allowedRegions (${organization.allowedRegions.join(', ')})`,
    });
  }
  return problems;
}
