import { GraphQLScalarType, Kind } from 'graphql';
import { GraphQLUpload } from 'graphql-upload-minimal';
import type { Resolvers } from '../__generated__/resolvers-types';
import { Mutation } from './mutation';
import { Query } from './query';
import { Anomaly, Dataset, DetectionResult, Model, Project } from './types';

const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize: (v) => (v instanceof Date ? v : new Date(String(v))).toISOString(),
  parseValue: (v) => new Date(String(v)),
  parseLiteral: (ast) => (ast.kind === Kind.STRING ? new Date(ast.value) : (null as never)),
});

export const resolvers: Resolvers = {
  Upload: GraphQLUpload,
  DateTime,
  Query,
  Mutation,
  DetectionResult,
  Anomaly,
  Model,
  Project,
  Dataset,
};
