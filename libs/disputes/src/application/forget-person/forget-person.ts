import { Inject, Injectable } from '@nestjs/common';
import {
  EVENT_STORE,
  type EventFilter,
  type EventStore,
  personalDataMarkOf,
  type RecordedEvent,
  storedEventsOf,
} from '@arbiter/event-store';
import { personalDataOf } from '@arbiter/event-store/upcasting/upcasting-event-store';
import { CLOCK, type Clock } from '@arbiter/platform/clock';
import {
  type Actor,
  disputeStreamId,
  DomainError,
  fromEpochMs,
  personalDataSubjectOf,
} from '../../domain';
import { handleCommand } from '../command-handling';
import { randomUUID } from 'node:crypto';

/** The audited record of an erasure: ids and a ticket reference only, never personal data. */
export const PERSON_FORGOTTEN = 'PersonForgotten';

/** The stream of a person's erasures (`person-<id>`), chained like every other stream. */
export const personStreamId = (personId: string): string => `person-${personId}`;

export interface PersonForgottenData {
  personId: string;
  /** A ticket reference (the erasure request), not free text about the person. */
  reason: string;
  at: string;
  by: Actor;
  /** The disputes holding fields of this person that now read as erased. */
  disputes: string[];
  /** How many data keys this erasure destroyed (0: an earlier erasure had). */
  keysDestroyed: number;
}

export interface Forgotten {
  personId: string;
  /** True when nothing was left to destroy: the person had been forgotten before. */
  alreadyForgotten: boolean;
  /** Disputes whose read models must be refolded. */
  disputes: string[];
  /**
   * Events the person wrote with personal text that were stored before encryption existed: they
   * stay plaintext (until a migration encrypts them), and say so here.
   */
  plaintextEvents: number;
  /**
   * Evidence files (sha256) only this person's events referenced: the caller deletes them. Files
   * another person's event also references stay.
   */
  filesOnlyTheirs: string[];
  /** Evidence files (sha256) some other person's event references: never to be deleted. */
  filesOfOthers: string[];
}

interface ForgetCommand {
  data: PersonForgottenData;
}

const forgetDecider = {
  initialState: { forgotten: false },
  evolve: () => ({ forgotten: true }),
  // Recorded when keys were destroyed now, or when no erasure is recorded yet (an earlier attempt
  // that destroyed the keys but stopped before recording): forgetting again records nothing.
  decide: (command: ForgetCommand, state: { forgotten: boolean }) =>
    command.data.keysDestroyed > 0 || !state.forgotten
      ? [{ type: PERSON_FORGOTTEN, data: command.data }]
      : [],
};

/**
 * Erasure of a person's personal data (crypto-shredding): finds the disputes and evidence files
 * holding fields they wrote, destroys their data keys, and records `PersonForgotten` in the
 * person's own stream. Needs a store with personal data keys (`personalDataOf`).
 */
@Injectable()
export class PersonalDataErasure {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async forget(personId: string, reason: string, by: Actor): Promise<Forgotten> {
    const personalData = personalDataOf(this.store);
    if (!personalData)
      throw new DomainError('INVALID_COMMAND', 'This deployment keeps no personal data keys');
    const { filesOnlyTheirs, filesOfOthers } = await this.files(personId);
    const destroyed = await personalData.keys.destroy(personId, reason);
    const { disputes, plaintextEvents } = await this.disputes(personId);
    const data: PersonForgottenData = {
      personId,
      reason,
      at: fromEpochMs(this.clock.now().getTime()),
      by: { id: by.id, role: by.role },
      disputes,
      keysDestroyed: destroyed.destroyed.length,
    };
    const handled = await handleCommand(
      this.store,
      personStreamId(personId),
      { data },
      forgetDecider,
      { commandId: randomUUID(), actor: by },
    );
    return {
      personId,
      alreadyForgotten: destroyed.destroyed.length === 0 && handled.appended.length === 0,
      disputes,
      plaintextEvents,
      filesOnlyTheirs,
      filesOfOthers,
    };
  }

  /**
   * The evidence files the person's events reference, and those other people's events do: read
   * (and opened) before the keys go.
   */
  private async files(personId: string) {
    const theirs = new Set<string>();
    const others = new Set<string>();
    await this.scan(this.store, { eventTypes: ['EvidenceAdded'] }, (event) => {
      const data = event.data as {
        by?: { id?: string };
        content?: { file?: { sha256?: unknown } };
      };
      const file = data.content?.file?.sha256;
      if (typeof file !== 'string') return;
      const writer = personalDataMarkOf(event.metadata)?.subject ?? data.by?.id;
      (writer === personId ? theirs : others).add(file);
    });
    return {
      filesOnlyTheirs: [...theirs].filter((file) => !others.has(file)),
      filesOfOthers: [...others],
    };
  }

  /**
   * The disputes holding fields encrypted under the person's keys: read from the marks of the
   * stored events after the keys went, so an event the person wrote meanwhile is counted too.
   */
  private async disputes(
    personId: string,
  ): Promise<{ disputes: string[]; plaintextEvents: number }> {
    const disputes = new Set<string>();
    let plaintextEvents = 0;
    await this.scan(storedEventsOf(this.store), {}, (event) => {
      const disputeId = (event.data as { disputeId?: unknown }).disputeId;
      const mark = personalDataMarkOf(event.metadata);
      if (mark?.subject === personId && typeof disputeId === 'string') disputes.add(disputeId);
      if (!mark && personalDataSubjectOf(event)?.subject === personId) plaintextEvents++;
    });
    return { disputes: [...disputes], plaintextEvents };
  }

  /** Every dispute event (of `filter`), in pages. */
  private async scan(
    store: EventStore,
    filter: EventFilter,
    visit: (event: RecordedEvent) => void,
  ): Promise<void> {
    const page = 1000;
    let after: bigint | undefined;
    for (;;) {
      const events = await store.readAll({
        after,
        maxCount: page,
        filter: { ...filter, streamPrefixes: [disputeStreamId('')] },
      });
      events.forEach(visit);
      if (events.length < page) return;
      after = events[events.length - 1].position;
    }
  }
}
