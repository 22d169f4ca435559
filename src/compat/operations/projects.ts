import { datasetMetadata, projectMetadata } from '../encode';
import { jsonBody, page, type Operation } from '../operation';
import { check, createProjectBody, projectName } from '../shapes';
import { projectArn } from '../../projects/resources';

const PROJECTS = /^\/2020-11-20\/projects$/;
const PROJECT = /^\/2020-11-20\/projects\/(?<projectName>[^/]+)$/;

export const projectOperations: Operation[] = [
  {
    name: 'CreateProject',
    method: 'POST',
    path: PROJECTS,
    status: 200,
    async handle(req) {
      const { ProjectName } = check(createProjectBody, jsonBody(req));
      const state = await req.projects.registry.createProject(ProjectName);
      return { ProjectMetadata: projectMetadata(req.scope, state) };
    },
  },
  {
    name: 'ListProjects',
    method: 'GET',
    path: PROJECTS,
    status: 200,
    async handle(req) {
      const { items, next } = page(req, req.projects.registry.listProjects(), 'projects');
      return { Projects: items.map((s) => projectMetadata(req.scope, s)), NextToken: next };
    },
  },
  {
    name: 'DescribeProject',
    method: 'GET',
    path: PROJECT,
    status: 200,
    async handle(req) {
      const state = req.projects.registry.project(check(projectName, req.labels.projectName, 'projectName'));
      return {
        ProjectDescription: {
          ...projectMetadata(req.scope, state),
          Datasets: [...state.datasets.values()].map(datasetMetadata),
        },
      };
    },
  },
  {
    name: 'DeleteProject',
    method: 'DELETE',
    path: PROJECT,
    status: 200,
    async handle(req) {
      const name = await req.projects.registry.deleteProject(check(projectName, req.labels.projectName, 'projectName'));
      return { ProjectArn: projectArn(req.scope, name) };
    },
  },
];
