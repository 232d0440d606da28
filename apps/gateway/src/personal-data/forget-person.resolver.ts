import { Inject, Logger, Module } from '@nestjs/common';
import { Args, ArgsType, Field, ID, Int, Mutation, ObjectType, Resolver } from '@nestjs/graphql';
import { Length, Matches } from 'class-validator';
import { CurrentActor, Roles, type Actor } from '@arbiter/auth';
import { disputeStreamId } from '@arbiter/disputes';
import { PersonalDataErasure } from '@arbiter/disputes/application';
import { EVENT_STORE, type EventStore } from '@arbiter/event-store';
import {
  ProjectionRegistry,
  ProjectionRunner,
  READ_DB,
  type ReadDb,
  refoldStreams,
} from '@arbiter/read-models';
import { asCommandFailure } from '../errors/error-mapping';
import { BLOB_STORE, type BlobStore } from '../evidence/blob-store';
import { EvidenceUploads } from '../evidence/evidence-uploads';

/** A ticket reference, not prose: the audited event must carry no personal data of its own. */
const TICKET_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9_.:#/-]{0,99}$/;

/** How long an erasure waits for the projections to apply what they read before the key went. */
const REFOLD_WAIT_MS = 10_000;

@ArgsType()
export class ForgetPersonArgs {
  @Field(() => ID, {
    description: 'The person (a buyer, seller or staff account id) whose personal data to erase.',
  })
  @Length(1, 200)
  personId!: string;

  @Field(() => String, {
    description:
      'The reference of the erasure request, e.g. a ticket id ("PRIV-1234"): 1–100 letters, digits or _ . : # / -. It is recorded in the audit trail, so it must not be free text about the person.',
  })
  @Matches(TICKET_REFERENCE, {
    message: 'reason must be a ticket reference: 1–100 letters, digits or _ . : # / -',
  })
  reason!: string;
}

@ObjectType('ForgottenPerson', {
  description:
    'What an erasure did. Forgetting a person again is harmless: `alreadyForgotten` then says there was nothing left to destroy.',
})
export class ForgottenPersonType {
  @Field(() => ID, { description: 'The person forgotten.' })
  personId!: string;

  @Field(() => Boolean, {
    description: 'True when the person had been forgotten before and nothing new was erased.',
  })
  alreadyForgotten!: boolean;

  @Field(() => [ID], {
    description: 'Disputes holding fields this person wrote, which now read as erased.',
  })
  disputes!: string[];

  @Field(() => Int, { description: 'Evidence files of this person deleted now.' })
  filesDeleted!: number;

  @Field(() => Int, {
    description:
      'Events with personal text this person wrote before personal data was stored encrypted: they are not erased (they stay readable until the operator runs `npm run personal-data -- encrypt-legacy --apply`). 0 for anyone who wrote only since.',
  })
  plaintextEvents!: number;
}

/**
 * The platform's erasure of a person's personal data (crypto-shredding, docs/personal-data.md):
 * their data key destroyed and `PersonForgotten` recorded, their files deleted, and the read
 * models of the disputes they wrote in refolded so they hold no copy of the erased fields.
 */
@Resolver(() => ForgottenPersonType)
export class ForgetPersonResolver {
  private readonly logger = new Logger('PersonalData');

  constructor(
    private readonly erasure: PersonalDataErasure,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_DB) private readonly db: ReadDb,
    private readonly registry: ProjectionRegistry,
    private readonly runner: ProjectionRunner,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly uploads: EvidenceUploads,
  ) {}

  @Roles('platform')
  @Mutation(() => ForgottenPersonType, {
    description:
      'Platform only: erase a person\'s personal data (right to erasure). Their data key is destroyed, so every free-text field, address, tracking number and file fingerprint they wrote reads "[erased]" in every view, timeline, audit trail, feed and export, while ids, amounts, states and times stay and every audit hash still verifies. Their uploaded evidence files are deleted unless another person\'s event references the same file. The erasure is recorded (`PersonForgotten`, with `reason`) in the audit trail. Idempotent.',
  })
  async forgetPerson(@Args() args: ForgetPersonArgs, @CurrentActor() actor: Actor) {
    try {
      const forgotten = await this.erasure.forget(args.personId, args.reason, actor);
      const uploaded = await this.uploads.forgetUploader(args.personId);
      const others = new Set(forgotten.filesOfOthers);
      const files = new Set([
        ...forgotten.filesOnlyTheirs,
        ...uploaded.filter((file) => !others.has(file)),
      ]);
      let filesDeleted = 0;
      for (const file of files) if (await this.blobs.delete(file)) filesDeleted++;
      // A batch a projection read before the key went may still be on its way to the read DB:
      // wait until the projections pass the log's head (bounded), then rewrite the rows.
      const head = await this.store.headPosition();
      if (!(await this.runner.waitForPosition(head, REFOLD_WAIT_MS)))
        this.logger.warn('Projections are behind: refolding now, later batches read erased data');
      await refoldStreams(
        this.db,
        this.store,
        this.registry.all(),
        forgotten.disputes.map(disputeStreamId),
      );
      this.logger.log(
        `Person forgotten (${args.reason}): ${forgotten.disputes.length} dispute(s), ${filesDeleted} file(s), ${forgotten.plaintextEvents} event(s) stored before encryption left as they are`,
      );
      return {
        personId: args.personId,
        alreadyForgotten: forgotten.alreadyForgotten,
        disputes: forgotten.disputes,
        filesDeleted,
        plaintextEvents: forgotten.plaintextEvents,
      };
    } catch (error) {
      throw asCommandFailure(error);
    }
  }
}

@Module({ providers: [ForgetPersonResolver] })
export class PersonalDataGatewayModule {}
