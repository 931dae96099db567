/**
 * `mq topics create|list|describe|delete` as services: each returns the typed result that is
 * the command's `--json` contract.
 *
 * Sizes on disk are not reported: the broker exposes no API for them (no DescribeLogDirs), so
 * a topic's extent is given as offsets and message counts.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { topicMissing } from './errors.js';
import { withAdmin } from './session.js';

export interface TopicCreated {
  topic: string;
  partitions: number;
  /** false when the topic already existed and `ifNotExists` was given. */
  created: boolean;
}

export interface TopicSummary {
  topic: string;
  partitions: number;
}

export interface TopicList {
  topics: TopicSummary[];
}

export interface PartitionDescription {
  partition: number;
  /** Node id of the leader, -1 when none. */
  leader: number;
  /** First offset still in the log (retention moves it). */
  logStart: number;
  /** Offset the next message will get (the high watermark). */
  logEnd: number;
  /** logEnd − logStart. */
  messages: number;
}

export interface TopicDescription {
  topic: string;
  partitions: PartitionDescription[];
  messages: number;
}

export interface TopicDeleted {
  topic: string;
  deleted: true;
}

export async function createTopic(
  brokers: string,
  req: { topic: string; partitions?: number; ifNotExists?: boolean },
): Promise<TopicCreated> {
  const { topic } = req;
  return withAdmin(
    brokers,
    async (admin) => {
      const [result] = await admin.createTopics([{ topic, partitions: req.partitions }], -1, {
        failIfExists: !req.ifNotExists,
      });
      const [meta] = await admin.describeTopics([topic]);
      return {
        topic,
        partitions: meta.partitions.length,
        created: result?.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS,
      };
    },
    {
      [ErrorCode.TOPIC_ALREADY_EXISTS]: `topic ${topic} already exists (see it with \`mq topics describe ${topic}\`; --if-not-exists accepts an existing topic)`,
    },
  );
}

export async function listTopics(brokers: string): Promise<TopicList> {
  return withAdmin(brokers, async (admin) => {
    const metas = await admin.describeTopics();
    return {
      topics: metas
        .filter((m) => !m.isInternal && m.errorCode === ErrorCode.NONE)
        .map((m) => ({ topic: m.name, partitions: m.partitions.length })),
    };
  });
}

export async function describeTopic(brokers: string, topic: string): Promise<TopicDescription> {
  return withAdmin(
    brokers,
    async (admin) => {
      const [meta] = await admin.describeTopics([topic]);
      const [starts, ends] = await Promise.all([
        admin.listOffsets(topic, 'earliest'),
        admin.listOffsets(topic, 'latest'),
      ]);
      const startOf = new Map(starts.map((o) => [o.partition, o.offset]));
      const endOf = new Map(ends.map((o) => [o.partition, o.offset]));
      const partitions = meta.partitions.map((p) => {
        const logStart = startOf.get(p.partition) ?? -1;
        const logEnd = endOf.get(p.partition) ?? -1;
        return {
          partition: p.partition,
          leader: p.leader,
          logStart,
          logEnd,
          messages: Math.max(0, logEnd - logStart),
        };
      });
      return { topic, partitions, messages: partitions.reduce((sum, p) => sum + p.messages, 0) };
    },
    topicMissing(topic),
  );
}

export async function deleteTopic(brokers: string, topic: string): Promise<TopicDeleted> {
  return withAdmin(
    brokers,
    async (admin) => {
      await admin.deleteTopics([topic]);
      return { topic, deleted: true as const };
    },
    topicMissing(topic),
  );
}
