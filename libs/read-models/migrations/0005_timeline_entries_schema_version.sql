-- Timeline rows record the schema version of the event data they keep, so a reader upcasts them
-- like the event store does. Rows already there cannot say theirs: those projected before the
-- store read through the upcasters hold stored shapes, those projected since hold current ones,
-- and upcasting a current shape again would lose what it carries (a ReturnShipped's delivery
-- clock). So the table is emptied and the projection starts again from the log (the runner
-- replays it on its next start, as a rebuild), each row then recording its version.
ALTER TABLE "read_models"."timeline_entries" ADD COLUMN "schema_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
TRUNCATE TABLE "read_models"."timeline_entries";--> statement-breakpoint
UPDATE "read_models"."projection_checkpoints" SET "position" = -1, "status" = 'active', "last_error" = NULL, "failed_position" = NULL, "failed_at" = NULL, "attempts" = 0 WHERE "name" = 'timeline';
