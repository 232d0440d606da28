import { ArgsType, Field, Int, ObjectType } from '@nestjs/graphql';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/**
 * Relay paging arguments and page information, shared by every connection of the read side.
 * The read models decide what a cursor holds (libs/read-models/src/projections/shared/pagination.ts).
 */

@ArgsType()
export class PageArgsType {
  @Field(() => Int, { nullable: true, description: 'Page size (default 20, at most 100).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  after?: string | null;
}

/** Paging both ways, for lists a client shows newest first and may read from either end. */
@ArgsType()
export class TwoWayPageArgsType extends PageArgsType {
  @Field(() => Int, {
    nullable: true,
    description:
      'Page size reading backward (default 20, at most 100): the items just before `before`, or the end of the list. Not with `first` or `after`.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  last?: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'The startCursor of the page after the one wanted (reading backward).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  before?: string | null;
}

@ObjectType('PageInfo', { description: 'Relay page information.' })
export class PageInfoType {
  @Field({
    description:
      'Whether another page follows. Reading backward: true when the page was read from a `before` cursor.',
  })
  hasNextPage!: boolean;

  @Field({
    description:
      'Whether a page comes before this one. Reading forward: true when the page was read from an `after` cursor.',
  })
  hasPreviousPage!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'The first edge’s cursor: pass as `before` to get the previous page.',
  })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' })
  endCursor!: string | null;
}
