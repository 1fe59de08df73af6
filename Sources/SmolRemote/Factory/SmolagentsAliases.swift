/// smolagents' alias of ``OpenAIServerModel`` (`OpenAIModel` in `smolagents.models`).
public typealias OpenAIModel = OpenAIServerModel

/// smolagents' alias of ``AzureOpenAIServerModel`` (`AzureOpenAIModel` in `smolagents.models`).
public typealias AzureOpenAIModel = AzureOpenAIServerModel

/// smolagents' alias of ``AmazonBedrockServerModel`` (`AmazonBedrockModel` in `smolagents.models`).
public typealias AmazonBedrockModel = AmazonBedrockServerModel
