import { after } from 'node:test';
import { describeImageWithKpt } from './image-kpt.js';
import { describeImageRuns } from './image-runs.js';
import { shareBuild } from './image-build.js';

// The container image, built from the repository's Dockerfile with buildah (image-build.ts: the
// base images are stand-ins assembled from this machine's node and npm, passed as the
// Dockerfile's build arguments). One build, about 15 s, serves every test in this file.

const build = shareBuild();
after(() => build.release());

describeImageRuns(build.get);
describeImageWithKpt(build.get);
