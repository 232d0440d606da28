-- Views (version 2) count the events their audience sees (`sequence`), which parties are shown
-- instead of the stream revision. Stored version-1 views cannot say how many events were hidden
-- from them, so every table holding a view is emptied and its projection starts again from the
-- log (the runner replays it on its next start, as a rebuild). The deadline process manager's
-- firing stays idempotent on replay (see 0006).
TRUNCATE TABLE "read_models"."buyer_disputes", "read_models"."seller_disputes", "read_models"."seller_orders", "read_models"."mediator_cases", "read_models"."mediator_buyer_orders", "read_models"."dispute_stats", "read_models"."deadline_dispute_states", "read_models"."deadlines";--> statement-breakpoint
UPDATE "read_models"."projection_checkpoints" SET "position" = -1, "status" = 'active', "last_error" = NULL, "failed_position" = NULL, "failed_at" = NULL, "attempts" = 0 WHERE "name" IN ('buyer-view', 'seller-view', 'mediator-view', 'stats', 'deadlines');
