import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { Plugin } from '@nestjs/apollo';
import type { GraphQLContext, RequestContext } from '@arbiter/auth';

/** What a client learns about one dispute mutation of its operation. */
export interface ReadYourWritesNote {
  disputeId: string;
  /** The answer's `Dispute.sequence`: how many of the dispute's events the caller sees. */
  sequence: number;
  /** The stream revision the answer reflects, for staff only (null otherwise, as `Dispute.revision`). */
  revision: number | null;
  /** False: the answer came from the command's own events; queries may not show it yet. */
  consistent: boolean;
}

const notes = new WeakMap<RequestContext, ReadYourWritesNote[]>();

export function noteReadYourWrites(context: RequestContext, note: ReadYourWritesNote): void {
  const list = notes.get(context) ?? [];
  list.push(note);
  notes.set(context, list);
}

/**
 * Puts `readYourWrites: [{ disputeId, sequence, revision, consistent }]` (one per dispute mutation, in
 * execution order) into the response's `extensions`. The answer is right either way; the flag is
 * about the read side: whether a query sent now already sees the change.
 */
@Plugin()
export class ReadYourWritesPlugin implements ApolloServerPlugin<GraphQLContext> {
  async requestDidStart(): Promise<GraphQLRequestListener<GraphQLContext>> {
    return {
      async willSendResponse({ contextValue, response }) {
        const list = contextValue.requestContext && notes.get(contextValue.requestContext);
        if (!list?.length || response.body.kind !== 'single') return;
        const result = response.body.singleResult;
        result.extensions = { ...result.extensions, readYourWrites: list };
      },
    };
  }
}
