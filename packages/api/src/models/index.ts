/** The base model registry binary cubes are validated against. */
export {
  attachOnnx,
  getBaseModel,
  insertBaseModel,
  listBaseModels,
  loadBaseModel,
  registerBaseModel,
  registerBaseModelInput,
  uploadOnnx,
  uploadTokenizer,
} from "./base-models.ts";
