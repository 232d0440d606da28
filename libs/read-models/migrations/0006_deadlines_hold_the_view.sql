-- The deadline process manager keeps each dispute's staff view (`evolveView`) instead of the
-- decider's state: rows of the old shape cannot be carried over, so its tables are emptied and it
-- starts again from the log (the runner replays it on its next start, as a rebuild does). Firing
-- stays idempotent: a re-armed deadline keeps its command id, and one that is no longer armed is
-- not stored again.
TRUNCATE TABLE "read_models"."deadline_dispute_states", "read_models"."deadlines";--> statement-breakpoint
UPDATE "read_models"."projection_checkpoints" SET "position" = -1, "status" = 'active', "last_error" = NULL, "failed_position" = NULL, "failed_at" = NULL, "attempts" = 0 WHERE "name" = 'deadlines';--> statement-breakpoint
ALTER TABLE "read_models"."deadline_dispute_states" ADD COLUMN "view" jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "read_models"."deadline_dispute_states" DROP COLUMN "state";
