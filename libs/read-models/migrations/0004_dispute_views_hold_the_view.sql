-- The dispute views hold the domain's view (`evolveView`) instead of the decider's state and a
-- case file: rows of the old shape cannot be carried over, so the tables are emptied and their
-- projections start again from the log (the runner replays them on its next start, as a rebuild).
TRUNCATE TABLE "read_models"."buyer_disputes", "read_models"."seller_disputes", "read_models"."seller_orders", "read_models"."mediator_cases", "read_models"."mediator_buyer_orders", "read_models"."dispute_stats";--> statement-breakpoint
UPDATE "read_models"."projection_checkpoints" SET "position" = -1, "status" = 'active', "last_error" = NULL, "failed_position" = NULL, "failed_at" = NULL, "attempts" = 0 WHERE "name" IN ('buyer-view', 'seller-view', 'mediator-view', 'stats');--> statement-breakpoint
ALTER TABLE "read_models"."buyer_disputes" DROP COLUMN "order_id";--> statement-breakpoint
ALTER TABLE "read_models"."buyer_disputes" DROP COLUMN "amount_minor";--> statement-breakpoint
ALTER TABLE "read_models"."buyer_disputes" DROP COLUMN "currency";--> statement-breakpoint
ALTER TABLE "read_models"."buyer_disputes" DROP COLUMN "updated_at";--> statement-breakpoint
ALTER TABLE "read_models"."buyer_disputes" DROP COLUMN "closed_at";--> statement-breakpoint
ALTER TABLE "read_models"."buyer_disputes" DROP COLUMN "deadline_at";--> statement-breakpoint
ALTER TABLE "read_models"."buyer_disputes" DROP COLUMN "outcome";--> statement-breakpoint
ALTER TABLE "read_models"."buyer_disputes" DROP COLUMN "state";--> statement-breakpoint
ALTER TABLE "read_models"."buyer_disputes" DROP COLUMN "file";--> statement-breakpoint
ALTER TABLE "read_models"."dispute_stats" DROP COLUMN "state";--> statement-breakpoint
ALTER TABLE "read_models"."mediator_cases" DROP COLUMN "order_id";--> statement-breakpoint
ALTER TABLE "read_models"."mediator_cases" DROP COLUMN "amount_minor";--> statement-breakpoint
ALTER TABLE "read_models"."mediator_cases" DROP COLUMN "currency";--> statement-breakpoint
ALTER TABLE "read_models"."mediator_cases" DROP COLUMN "updated_at";--> statement-breakpoint
ALTER TABLE "read_models"."mediator_cases" DROP COLUMN "closed_at";--> statement-breakpoint
ALTER TABLE "read_models"."mediator_cases" DROP COLUMN "outcome";--> statement-breakpoint
ALTER TABLE "read_models"."mediator_cases" DROP COLUMN "state";--> statement-breakpoint
ALTER TABLE "read_models"."mediator_cases" DROP COLUMN "file";--> statement-breakpoint
ALTER TABLE "read_models"."seller_disputes" DROP COLUMN "order_id";--> statement-breakpoint
ALTER TABLE "read_models"."seller_disputes" DROP COLUMN "amount_minor";--> statement-breakpoint
ALTER TABLE "read_models"."seller_disputes" DROP COLUMN "currency";--> statement-breakpoint
ALTER TABLE "read_models"."seller_disputes" DROP COLUMN "updated_at";--> statement-breakpoint
ALTER TABLE "read_models"."seller_disputes" DROP COLUMN "closed_at";--> statement-breakpoint
ALTER TABLE "read_models"."seller_disputes" DROP COLUMN "deadline_at";--> statement-breakpoint
ALTER TABLE "read_models"."seller_disputes" DROP COLUMN "outcome";--> statement-breakpoint
ALTER TABLE "read_models"."seller_disputes" DROP COLUMN "state";--> statement-breakpoint
ALTER TABLE "read_models"."seller_disputes" DROP COLUMN "file";--> statement-breakpoint
ALTER TABLE "read_models"."buyer_disputes" ADD COLUMN "view" jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "read_models"."dispute_stats" ADD COLUMN "view" jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "read_models"."mediator_cases" ADD COLUMN "view" jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "read_models"."seller_disputes" ADD COLUMN "view" jsonb NOT NULL;
