/**
 * The operations GraphiQL opens with, one per tab: what a newcomer needs first. GraphiQL cannot
 * attach files, so the detection tab uses the out-of-band flow (an upload id) and says how to
 * get one; the web page at / is the way to try images by hand.
 */
export const GRAPHIQL_TABS: { query: string; variables?: string }[] = [
  {
    query: `# The models this gateway serves, with their test figures and state.
query Models {
  projects {
    name
    models {
      version status type description
      performance { f1Score precision recall imageAuroc }
      operatingPoint { sensitivity threshold }
      anomalyTypes { name color }
      training { stage done total startedAt }
    }
  }
}
`,
  },
  {
    query: `# GraphiQL cannot attach files. To try an image by hand, open the web page at /.
# From code, send the image as a multipart upload (see the README), or out of band:
#   1. run CreateUpload (next tab) with the image's type and size in bytes;
#   2. PUT the bytes:  curl -X PUT -H 'content-type: image/png' --data-binary @part.png "<uploadUrl>"
#   3. run this with the uploadId it returned.
mutation DetectUploaded($uploadId: ID!) {
  detectAnomalies(input: { uploadId: $uploadId, projectName: "demo", modelVersion: "latest" }) {
    id imageSha256 source { type } isAnomalous confidence cached
    anomalies { name pixelAnomaly { totalPercentageArea color } mask { url expiresAt width height contentType } }
    anomalyMask { url expiresAt width height contentType }
    heatMap { url width height }
    overlay { url width height }
    model { projectName version status type }
  }
}
`,
    variables: '{ "uploadId": "paste the uploadId from CreateUpload" }',
  },
  {
    query: `# Step 1 of the out-of-band flow: where to PUT an image (only JSON crosses a router).
mutation CreateUpload {
  createImageUpload(input: { projectName: "demo", contentType: "image/png", byteLength: 12345 }) {
    uploadId uploadUrl method contentType byteLength expiresAt
  }
}
`,
  },
  {
    query: `# Train a new version from the project's TRAIN dataset (needs the admin scope), then poll
# Models until its status is TRAINED; \`training\` shows the stage meanwhile.
mutation TrainModel {
  trainModel(input: { projectName: "demo", description: "from-graphiql", orientation: AUTO }) {
    projectName version status
  }
}
`,
  },
];
